using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>How points reach the table (WRITE_MODE).</summary>
public enum WriteMode
{
    /// <summary>COPY, unless the server cannot take it (PGlite, the WebAssembly build, crashes on COPY FROM STDIN).</summary>
    Auto,

    /// <summary>Binary COPY straight into the table, or INSERT … ON CONFLICT when a point may be stored already.</summary>
    Copy,

    /// <summary>Always INSERT … ON CONFLICT from unnest'ed arrays: for servers without COPY.</summary>
    Insert,
}

public sealed class WriteOptions
{
    [ConfigurationKeyName("WRITE_MODE")]
    public WriteMode Mode { get; set; } = WriteMode.Auto;
}
