using FluentValidation;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Common;

internal static class ValidationRules
{
    public static readonly string MetricNameMessage =
        $"'metric_name' must be 1-{MetricRules.MaxNameLength} characters of letters, digits, '_', '-', '.', '/' and inner spaces.";

    public static IRuleBuilderOptions<T, string?> ValidMetricName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(MetricRules.IsValidName).WithMessage(MetricNameMessage);
}
