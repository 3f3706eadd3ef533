using Metrics.Application.Common;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Runs.Queries.ExportRun;

internal sealed class ExportRunQueryValidator : AbstractValidator<ExportRunQuery>
{
    public ExportRunQueryValidator()
    {
        RuleFor(q => q.Format)
            .Must(f => ExportRunQuery.Formats.Contains(f))
            .WithMessage($"'format' is one of: {string.Join(", ", ExportRunQuery.Formats)}.");
        RuleFor(q => q.MetricNames)
            .Must(n => n!.Count is > 0 and <= ExportRunQuery.MaxMetricNames)
            .WithMessage($"'metric_names' lists 1 to {ExportRunQuery.MaxMetricNames} metric names.")
            .Must(n => n!.All(MetricRules.IsValidName))
            .WithMessage(ValidationRules.MetricNameMessage)
            .When(q => q.MetricNames is not null);
    }
}
