using System.Net;
using System.Net.Sockets;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>Where the built service is, for tests that run it as a process, as ./build/run does.</summary>
public static class ServiceProcess
{
    /// <summary>The service's build output (Metrics.Api.dll), of the configuration these tests were built in.</summary>
    public static string Directory { get; } = Path.Combine(RepositoryRoot(), "src", "Metrics.Api", "bin", Configuration(), "net10.0");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MetricService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("MetricService.sln not found above the test assembly.");
    }

    private static string Configuration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
}
