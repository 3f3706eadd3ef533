using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetMetricStats;

internal sealed class GetMetricStatsQueryValidator : AbstractValidator<GetMetricStatsQuery>
{
    public GetMetricStatsQueryValidator() =>
        RuleFor(q => q.MetricName)
            .ValidMetricName();
}
