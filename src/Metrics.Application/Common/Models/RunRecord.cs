namespace Metrics.Application.Common.Models;

/// <summary>
/// What a PUT of a run sets; a null field is left as it is. <paramref name="Config"/> is the JSON
/// text of an object.
/// </summary>
public sealed record RunDescription(
    Guid RunId, string? Name, IReadOnlyList<string>? Tags, string? Config, string? Status, DateTime? StartedAt, DateTime? EndedAt);

/// <summary>
/// A run as listed: its description (all null for a run nobody described) and its activity.
/// <paramref name="StartedAt"/> falls back to the first point's time, <paramref name="LastActivity"/>
/// to the time it was described (a run with no points yet).
/// </summary>
public sealed record RunRecord(
    Guid RunId,
    string? Name,
    IReadOnlyList<string> Tags,
    string? Config,
    string? Status,
    DateTime? StartedAt,
    DateTime? EndedAt,
    DateTime LastActivity,
    long PointCount,
    IReadOnlyList<string> MetricNames);

/// <summary>
/// Which runs to list, most recent activity first: <paramref name="Search"/> matches a name
/// (case-insensitive, anywhere) or an id prefix; every tag in <paramref name="Tags"/> must be
/// present; <paramref name="After"/> continues a previous page; a <paramref name="Project"/> lists
/// only that project's runs.
/// </summary>
public sealed record RunFilter(int Limit, string? Search, IReadOnlyList<string> Tags, string? Status, RunCursor? After, string? Project);

/// <summary>Where a page of runs ended: the last run's activity and id (the list's sort key).</summary>
public sealed record RunCursor(DateTime LastActivity, Guid RunId)
{
    public override string ToString() =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{LastActivity.Ticks}:{RunId:N}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryParse(string? text, out RunCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(text) || text.Length > 100)
        {
            return false;
        }

        try
        {
            var base64 = text.Replace('-', '+').Replace('_', '/');
            var decoded = System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=')));
            var parts = decoded.Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTime.MaxValue.Ticks && Guid.TryParseExact(parts[1], "N", out var runId))
            {
                cursor = new RunCursor(new DateTime(ticks, DateTimeKind.Utc), runId);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}
