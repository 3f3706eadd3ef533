using FluentValidation;
using Metrics.Application.Common;
using Metrics.Application.Common.Models;
using Metrics.Domain.SystemMetrics;
using Microsoft.Extensions.Options;

namespace Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;

internal sealed class WriteSystemMetricBatchCommandValidator : AbstractValidator<WriteSystemMetricBatchCommand>
{
    public WriteSystemMetricBatchCommandValidator(IOptions<IngestOptions> options)
    {
        var maxBatch = options.Value.MaxBatchSize;

        RuleFor(c => c.Metrics)
            .NotNull().WithMessage("'metrics' is required.")
            .Must(m => m!.Count is > 0 && m.Count <= maxBatch)
            .When(c => c.Metrics is not null, ApplyConditionTo.CurrentValidator)
            .WithMessage($"A batch holds 1 to {maxBatch} metrics.");

        RuleForEach(c => c.Metrics)
            .NotNull().WithMessage("A metric must be an object.")
            .ChildRules(item =>
            {
                item.RuleFor(m => m!.RunId)
                    .NotNull().WithMessage("'run_id' is required.")
                    .NotEqual(Guid.Empty).WithMessage("'run_id' must not be the nil UUID.");
                item.RuleFor(m => m!.MetricType)
                    .Must(t => SystemMetricTypes.TryParse(t, out _))
                    .WithMessage($"'metric_type' must be one of: {string.Join(", ", SystemMetricTypes.Names)}.");
                item.RuleFor(m => m!.Value)
                    .NotNull().WithMessage("'value' is required.");
                item.RuleFor(m => m!.Metadata)
                    .Must(MetadataRules.IsValid)
                    .WithMessage(MetadataRules.Message);
            })
            .When(c => c.Metrics is not null);
    }
}
