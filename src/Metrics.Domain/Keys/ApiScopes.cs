namespace Metrics.Domain.Keys;

/// <summary>What a key may do.</summary>
public static class ApiScopes
{
    /// <summary>Write metrics and system metrics.</summary>
    public const string Write = "metrics:write";

    /// <summary>Read metrics, runs and statistics; subscribe to live updates.</summary>
    public const string Read = "metrics:read";

    /// <summary>Scrape the service's own Prometheus series at /metrics.</summary>
    public const string Telemetry = "telemetry:read";

    /// <summary>Manage keys; includes every other scope.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Write, Read, Telemetry, Admin];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}
