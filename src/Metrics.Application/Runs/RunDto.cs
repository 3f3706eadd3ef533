using System.Text.Json;

namespace Metrics.Application.Runs;

/// <summary>A run: its description (null name, status and config, no tags, for a run nobody described) and activity.</summary>
/// <param name="Status">running, finished or failed; null for a run nobody described.</param>
/// <param name="StartedAt">As described, or else the time of the run's first point.</param>
/// <param name="LastActivity">The latest point time of any of the run's metrics (when it was described, before its first point).</param>
/// <param name="MetricNames">Every metric the run has, in name order.</param>
public sealed record RunDto(
    Guid RunId,
    string? Name,
    IReadOnlyList<string> Tags,
    JsonElement? Config,
    string? Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    DateTimeOffset LastActivity,
    long PointCount,
    IReadOnlyList<string> MetricNames)
{
    internal static RunDto From(RunRecord run) => new(
        run.RunId,
        run.Name,
        run.Tags,
        Json(run.Config),
        run.Status,
        Utc(run.StartedAt),
        Utc(run.EndedAt),
        new DateTimeOffset(run.LastActivity, TimeSpan.Zero),
        run.PointCount,
        run.MetricNames);

    private static JsonElement? Json(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(text); // disposed: its buffers go back to the pool
        return document.RootElement.Clone();
    }

    private static DateTimeOffset? Utc(DateTime? time) => time is { } t ? new DateTimeOffset(t, TimeSpan.Zero) : null;
}
