using Metrics.Application.Common;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Metrics.Queries.GetRunMetrics;

internal sealed class GetRunMetricsQueryValidator : AbstractValidator<GetRunMetricsQuery>
{
    public GetRunMetricsQueryValidator()
    {
        Include(new RangeQueryValidator());
        RuleFor(q => q.MetricName)
            .ValidMetricName()
            .When(q => q.MetricName is not null);
        RuleFor(q => q.MetricNames)
            .Must(n => n!.Count is > 0 and <= GetRunMetricsQuery.MaxMetricNames)
            .WithMessage($"'metric_names' lists 1 to {GetRunMetricsQuery.MaxMetricNames} metric names.")
            .Must(n => n!.All(MetricRules.IsValidName))
            .WithMessage(ValidationRules.MetricNameMessage)
            .Must((q, _) => q.MetricName is null)
            .WithMessage("Give either 'metric_name' or 'metric_names', not both.")
            .Must((q, _) => q.MaxPoints <= RangeQuery.MaxPointsPerResponse)
            .WithMessage(RangeQuery.TooManyPointsMessage("metric_names"))
            .When(q => q.MetricNames is not null);
    }
}
