using FluentValidation;
using Metrics.Application.Common.Models;
using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetRunMetrics;

internal sealed class GetRunMetricsQueryValidator : AbstractValidator<GetRunMetricsQuery>
{
    public GetRunMetricsQueryValidator()
    {
        Include(new RangeQueryValidator());
        RuleFor(q => q.MetricName)
            .ValidMetricName()
            .When(q => q.MetricName is not null);
    }
}
