namespace Metrics.Application.Common.Behaviours;

/// <summary>Opts a query into the read cache.</summary>
public interface ICachedQuery
{
    /// <summary>Identifies the answer: every parameter that changes it is in the key.</summary>
    string CacheKey { get; }

    /// <summary>The data the answer depends on; a write to any of it invalidates the entry.</summary>
    IReadOnlyList<string> DependsOn { get; }

    /// <summary>False for answers too large to keep: they are read from storage every time.</summary>
    bool IsCacheable => true;
}

/// <summary>Tag names shared by the queries that read data and the commands that change it.</summary>
public static class CacheTags
{
    public static string RunMetrics(Guid runId) => $"run:{runId:N}";

    public static string Metric(Guid runId, string metricName) => $"run:{runId:N}:m:{metricName}";

    public static string RunSystemMetrics(Guid runId) => $"run:{runId:N}:sys";
}
