using System.Text.Json;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Common;

/// <summary>Rules shared by several validators, so each is stated (and worded) once.</summary>
internal static class ValidationRules
{
    public static readonly string MetricNameMessage =
        $"'metric_name' must be 1-{MetricRules.MaxNameLength} characters of letters, digits, '_', '-', '.', '/' and inner spaces.";

    public static IRuleBuilderOptions<T, string?> ValidMetricName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(MetricRules.IsValidName).WithMessage(MetricNameMessage);

    /// <summary>A batch: present, with 1 to <paramref name="maxBatch"/> items.</summary>
    public static IRuleBuilderOptions<T, IReadOnlyList<TItem>?> ValidBatch<T, TItem>(this IRuleBuilder<T, IReadOnlyList<TItem>?> rule, int maxBatch) =>
        rule.NotNull().WithMessage("'metrics' is required.")
            .Must(m => m is null || (m.Count > 0 && m.Count <= maxBatch))
            .WithMessage($"A batch holds 1 to {maxBatch} metrics.");

    public const string RunIdRequiredMessage = "'run_id' is required.";
    public const string RunIdNilMessage = "'run_id' must not be the nil UUID.";

    public static IRuleBuilderOptions<T, Guid?> ValidRunId<T>(this IRuleBuilder<T, Guid?> rule) =>
        rule.NotNull().WithMessage(RunIdRequiredMessage)
            .NotEqual(Guid.Empty).WithMessage(RunIdNilMessage);

    /// <summary>A point's time: from 1970-01-01 to <paramref name="latest"/> (now plus the allowance); none means now.</summary>
    public static bool IsValidPointTime(DateTimeOffset? time, DateTimeOffset latest) =>
        time is not { } t || (t.UtcDateTime >= MetricRules.EarliestTime && t <= latest);

    public static string PointTimeMessage(TimeSpan futureAllowance) =>
        $"'time' must lie between 1970-01-01T00:00:00Z and {futureAllowance.TotalHours:0.##} hours from now (MAX_FUTURE_HOURS).";

    public static IRuleBuilderOptions<T, DateTimeOffset?> ValidPointTime<T>(this IRuleBuilder<T, DateTimeOffset?> rule, TimeProvider clock, TimeSpan futureAllowance) =>
        rule.Must(t => IsValidPointTime(t, clock.GetUtcNow() + futureAllowance)).WithMessage(PointTimeMessage(futureAllowance));

    public static IRuleBuilderOptions<T, JsonElement?> ValidMetadata<T>(this IRuleBuilder<T, JsonElement?> rule) =>
        rule.Must(MetadataRules.IsValid).WithMessage(MetadataRules.Message);
}
