using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetMetricHistory;

internal sealed class GetMetricHistoryQueryValidator : AbstractValidator<GetMetricHistoryQuery>
{
    public GetMetricHistoryQueryValidator()
    {
        Include(new RangeQueryValidator());
        RuleFor(q => q.MetricName)
            .ValidMetricName();
    }
}
