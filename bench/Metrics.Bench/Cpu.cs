using System.Diagnostics;
using System.Globalization;

namespace Metrics.Bench;

/// <summary>
/// CPU time of the three processes that share the machine: the service, PostgreSQL (the
/// postmaster, its live children, and the children it has reaped), and this load generator.
/// </summary>
internal sealed class Cpu(int[] servicePids, int? postmasterPid)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public readonly record struct Sample(TimeSpan Service, TimeSpan Postgres, TimeSpan Client);

    public Sample Take() => new(
        servicePids.Aggregate(TimeSpan.Zero, (sum, s) => sum + Ticks(s, children: false)),
        postmasterPid is { } p ? Ticks(p, children: true) + ChildrenOf(p).Aggregate(TimeSpan.Zero, (sum, c) => sum + Ticks(c, children: false)) : TimeSpan.Zero,
        Process.GetCurrentProcess().TotalProcessorTime);

    /// <summary>µs of CPU per metric for each process between two samples.</summary>
    public static string PerMetric(Sample before, Sample after, long metrics) =>
        metrics == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture,
            $"CPU µs/metric: service {Us(after.Service - before.Service, metrics):F1}, PostgreSQL {Us(after.Postgres - before.Postgres, metrics):F1}, client {Us(after.Client - before.Client, metrics):F1}");

    public static double Us(TimeSpan cpu, long metrics) => cpu.TotalMicroseconds / metrics;

    // utime, stime (fields 14, 15) and, for the postmaster, cutime, cstime (16, 17) of reaped children.
    private static TimeSpan Ticks(int pid, bool children)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int n) => long.Parse(fields[n - 3], CultureInfo.InvariantCulture);
            var ticks = Field(14) + Field(15) + (children ? Field(16) + Field(17) : 0);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero; // ended between listing and reading
        }
    }

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string? ppid = null;
            try
            {
                ppid = File.ReadLines($"{dir}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            }
            catch (IOException)
            {
            }

            if (ppid is not null && int.Parse(ppid[5..].Trim(), CultureInfo.InvariantCulture) == parent)
            {
                yield return pid;
            }
        }
    }
}
