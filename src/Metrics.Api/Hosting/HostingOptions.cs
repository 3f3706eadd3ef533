using System.ComponentModel.DataAnnotations;

namespace Metrics.Api.Hosting;

/// <summary>How the process listens, starts and stops.</summary>
public sealed class HostingOptions
{
    /// <summary>On all interfaces; ASP.NET Core's own <c>urls</c> setting wins when given.</summary>
    [ConfigurationKeyName("PORT")]
    [Range(1, 65_535, ErrorMessage = "PORT must be a whole number from {1} to {2}.")]
    public int Port { get; set; } = 8001;

    [ConfigurationKeyName("urls")]
    public string? Urls { get; set; }

    /// <summary>On SIGTERM, how long in-flight requests and live connections get before they are cut.</summary>
    [ConfigurationKeyName("SHUTDOWN_GRACE_SECONDS")]
    [Range(0, 3_600, ErrorMessage = "SHUTDOWN_GRACE_SECONDS must be a whole number from {1} to {2}.")]
    public int ShutdownGraceSeconds { get; set; } = 30;

    /// <summary>Apply pending migrations before serving (false: an operator runs them).</summary>
    [ConfigurationKeyName("MIGRATE_ON_STARTUP")]
    public bool MigrateOnStartup { get; set; } = true;

    public string ListenUrls => Urls is { Length: > 0 } urls ? urls : $"http://0.0.0.0:{Port}";
}
