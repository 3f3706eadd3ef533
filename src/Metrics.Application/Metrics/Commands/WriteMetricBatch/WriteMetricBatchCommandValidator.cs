using FluentValidation;
using Metrics.Application.Common;
using Metrics.Application.Common.Models;
using Metrics.Domain.Metrics;
using Microsoft.Extensions.Options;

namespace Metrics.Application.Metrics.Commands.WriteMetricBatch;

internal sealed class WriteMetricBatchCommandValidator : AbstractValidator<WriteMetricBatchCommand>
{
    public WriteMetricBatchCommandValidator(IOptions<IngestOptions> options, TimeProvider clock)
    {
        RuleFor(c => c.Metrics).ValidBatch(options.Value.MaxBatchSize);

        RuleForEach(c => c.Metrics)
            .NotNull().WithMessage("A metric must be an object.")
            .ChildRules(item =>
            {
                item.RuleFor(m => m!.RunId).ValidRunId();
                item.RuleFor(m => m!.MetricName).ValidMetricName();
                item.RuleFor(m => m!.Step)
                    .Must(MetricRules.IsValidStep).WithMessage("'step' must not be negative.");
                item.RuleFor(m => m!.Value)
                    .NotNull().WithMessage("'value' is required (NaN and Infinity are written as the strings \"NaN\", \"Infinity\", \"-Infinity\").");
                item.RuleFor(m => m!.Time).ValidPointTime(clock, options.Value.FutureAllowance);
                item.RuleFor(m => m!.Metadata).ValidMetadata();
            })
            .When(c => c.Metrics is not null);
    }
}
