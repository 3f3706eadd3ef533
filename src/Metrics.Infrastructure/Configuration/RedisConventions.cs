using System.Text.Json;
using System.Text.Json.Serialization;
using Metrics.Infrastructure.Caching;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Configuration;

/// <summary>
/// What the service keeps in Redis (the query cache, the live channels and their sequence
/// numbers) shares one key prefix, so an operator can find, count or drop it all, and one JSON
/// convention: the stored types' own names, NaN and ±Infinity as the strings JSON allows.
/// </summary>
internal static class RedisConventions
{
    public const string Prefix = "metricservice:";

    /// <summary>
    /// Redis could not do what was asked: the service carries on without it. Besides its own
    /// exceptions and timeouts, StackExchange.Redis (2.13) lets through the pipe's refusal to write
    /// on a connection that has just closed (InvalidOperationException), seen while Redis stopped.
    /// </summary>
    public static bool IsUnavailable(Exception ex) =>
        ex is RedisException or TimeoutException or InvalidOperationException or ObjectDisposedException or IOException;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new PointStreamConverter() },
    };
}
