using Metrics.Application.Common;
using Metrics.Domain.SystemMetrics;
using Microsoft.Extensions.Options;

namespace Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;

internal sealed class WriteSystemMetricBatchCommandValidator : AbstractValidator<WriteSystemMetricBatchCommand>
{
    public static readonly string TypeMessage = $"'metric_type' must be one of: {string.Join(", ", SystemMetricTypes.Names)}.";

    public WriteSystemMetricBatchCommandValidator(IOptions<IngestOptions> options, TimeProvider clock)
    {
        RuleFor(c => c.Metrics).ValidBatch(options.Value.MaxBatchSize);

        RuleForEach(c => c.Metrics)
            .NotNull().WithMessage("A metric must be an object.")
            .ChildRules(item =>
            {
                item.RuleFor(m => m!.RunId).ValidRunId();
                item.RuleFor(m => m!.MetricType)
                    .Must(t => SystemMetricTypes.TryParse(t, out _)).WithMessage(TypeMessage);
                item.RuleFor(m => m!.Value)
                    .NotNull().WithMessage("'value' is required.");
                item.RuleFor(m => m!.Time).ValidPointTime(clock, options.Value.FutureAllowance);
                item.RuleFor(m => m!.Metadata).ValidMetadata();
            })
            .When(c => c.Metrics is not null);
    }
}
