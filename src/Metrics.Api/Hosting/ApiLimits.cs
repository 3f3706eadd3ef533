namespace Metrics.Api.Hosting;

public static class ApiLimits
{
    /// <summary>4 MiB: a full 1000-point batch with metadata fits with room to spare.</summary>
    public const long MaxRequestBodyBytes = 4 * 1024 * 1024;
}
