using FluentValidation;
using Metrics.Application.Common;
using Metrics.Application.Common.Models;
using Metrics.Domain.Metrics;
using Microsoft.Extensions.Options;

namespace Metrics.Application.Metrics.Commands.WriteMetricBatch;

internal sealed class WriteMetricBatchCommandValidator : AbstractValidator<WriteMetricBatchCommand>
{
    public WriteMetricBatchCommandValidator(IOptions<IngestOptions> options)
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
                item.RuleFor(m => m!.MetricName)
                    .NotEmpty().WithMessage("'metric_name' is required.")
                    .ValidMetricName();
                item.RuleFor(m => m!.Step)
                    .Must(MetricRules.IsValidStep).WithMessage("'step' must not be negative.");
                item.RuleFor(m => m!.Value)
                    .NotNull().WithMessage("'value' is required (NaN and Infinity are written as the strings \"NaN\", \"Infinity\", \"-Infinity\").");
                item.RuleFor(m => m!.Metadata)
                    .Must(MetadataRules.IsValid)
                    .WithMessage(MetadataRules.Message);
            })
            .When(c => c.Metrics is not null);
    }
}
