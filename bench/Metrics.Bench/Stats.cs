namespace Metrics.Bench;

internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1))];

    public static string Ms(double value) => double.IsNaN(value) ? "n/a" : value < 10 ? $"{value:F2}" : $"{value:F0}";

    /// <summary>The resident memory of the service's processes, summed.</summary>
    public static string Rss(int[] pids)
    {
        var statuses = pids.Select(p => $"/proc/{p}/status").Where(File.Exists).ToList();
        if (statuses.Count == 0)
        {
            return "n/a";
        }

        var kib = statuses.Sum(status => long.Parse(
            File.ReadLines(status).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture));
        return $"{kib / 1024} MiB";
    }
}
