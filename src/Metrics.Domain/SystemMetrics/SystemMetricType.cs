namespace Metrics.Domain.SystemMetrics;

/// <summary>Kinds of host measurement a training job reports next to its metrics.</summary>
public enum SystemMetricType
{
    Cpu,
    CpuCore,
    Memory,
    Disk,
    NetworkSent,
    NetworkRecv,
    GpuUtil,
    GpuMemory,
    GpuTemp,
    GpuPower,
}

/// <summary>The wire names (snake_case) of <see cref="SystemMetricType"/>, as the old service used them.</summary>
public static class SystemMetricTypes
{
    private static readonly Dictionary<string, SystemMetricType> ByName = new(StringComparer.Ordinal)
    {
        ["cpu"] = SystemMetricType.Cpu,
        ["cpu_core"] = SystemMetricType.CpuCore,
        ["memory"] = SystemMetricType.Memory,
        ["disk"] = SystemMetricType.Disk,
        ["network_sent"] = SystemMetricType.NetworkSent,
        ["network_recv"] = SystemMetricType.NetworkRecv,
        ["gpu_util"] = SystemMetricType.GpuUtil,
        ["gpu_memory"] = SystemMetricType.GpuMemory,
        ["gpu_temp"] = SystemMetricType.GpuTemp,
        ["gpu_power"] = SystemMetricType.GpuPower,
    };

    private static readonly Dictionary<SystemMetricType, string> NameOf = ByName.ToDictionary(p => p.Value, p => p.Key);

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryParse(string? name, out SystemMetricType type) =>
        ByName.TryGetValue(name ?? string.Empty, out type);

    public static string ToName(this SystemMetricType type) => NameOf[type];
}
