using Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;
using Metrics.Domain.SystemMetrics;

namespace Metrics.Application.SystemMetrics.Queries.GetSystemMetrics;

internal sealed class GetSystemMetricsQueryValidator : AbstractValidator<GetSystemMetricsQuery>
{
    public GetSystemMetricsQueryValidator()
    {
        Include(new RangeQueryValidator());
        RuleFor(q => q.MetricType)
            .Must(t => SystemMetricTypes.TryParse(t, out _))
            .When(q => q.MetricType is not null)
            .WithMessage(WriteSystemMetricBatchCommandValidator.TypeMessage);
    }
}
