namespace Metrics.Api.Hosting;

public enum LogFormat
{
    /// <summary>Readable lines on a terminal (<c>./build/run</c> in a shell), JSON lines otherwise.</summary>
    Auto,

    /// <summary>One JSON object per line, for log collectors (containers, systemd).</summary>
    Json,

    /// <summary>One readable line per entry.</summary>
    Text,
}

public sealed class LoggingOptions
{
    [ConfigurationKeyName("LOG_FORMAT")]
    public LogFormat Format { get; set; } = LogFormat.Auto;

    /// <summary>Deployments run without a terminal (containers, systemd, a file), so they get JSON.</summary>
    public bool Json => Format == LogFormat.Json || (Format == LogFormat.Auto && Console.IsOutputRedirected);
}
