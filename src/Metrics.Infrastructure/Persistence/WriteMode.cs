namespace Metrics.Infrastructure.Persistence;

/// <summary>How a batch reaches the staging table (WRITE_MODE).</summary>
public enum WriteMode
{
    /// <summary>COPY, unless the server cannot take it (PGlite, the WebAssembly build, crashes on COPY FROM STDIN).</summary>
    Auto,

    /// <summary>Binary COPY: the fastest way in.</summary>
    Copy,

    /// <summary>One INSERT … SELECT FROM unnest(arrays): for servers without COPY.</summary>
    Insert,
}

public sealed class WriteOptions
{
    public WriteMode Mode { get; set; } = WriteMode.Auto;
}
