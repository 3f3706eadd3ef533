using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetDownsampledMetric;

internal sealed class GetDownsampledMetricQueryValidator : AbstractValidator<GetDownsampledMetricQuery>
{
    public GetDownsampledMetricQueryValidator()
    {
        RuleFor(q => q.MetricName).ValidMetricName();
        RuleFor(q => q.Points).InclusiveBetween(1, GetDownsampledMetricQuery.MaxPoints);
        RuleFor(q => q.MinStep).GreaterThanOrEqualTo(0);
        RuleFor(q => q.MaxStep)
            .GreaterThanOrEqualTo(q => q.MinStep ?? 0)
            .WithMessage("'max_step' must not be less than 'min_step' (or 0).");
    }
}
