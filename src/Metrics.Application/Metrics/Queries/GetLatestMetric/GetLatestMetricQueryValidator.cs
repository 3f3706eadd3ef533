using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetLatestMetric;

internal sealed class GetLatestMetricQueryValidator : AbstractValidator<GetLatestMetricQuery>
{
    public GetLatestMetricQueryValidator() =>
        RuleFor(q => q.MetricName)
            .ValidMetricName();
}
