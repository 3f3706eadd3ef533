namespace Metrics.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1))];

    public static string Ms(double value) => double.IsNaN(value) ? "n/a" : value < 10 ? $"{value:F2}" : $"{value:F0}";

    public static string Rss(int? pid)
    {
        var status = $"/proc/{pid}/status";
        if (pid is null || !File.Exists(status))
        {
            return "n/a";
        }

        var line = File.ReadLines(status).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024} MiB";
    }
}
