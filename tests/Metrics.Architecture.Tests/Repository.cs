namespace Metrics.Architecture.Tests;

/// <summary>The working copy these tests read: the folder holding MetricService.sln above the test's output.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MetricService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("MetricService.sln not found above " + AppContext.BaseDirectory);
    }
}
