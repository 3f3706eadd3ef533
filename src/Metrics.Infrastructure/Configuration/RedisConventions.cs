using System.Text.Json;
using System.Text.Json.Serialization;
using Metrics.Infrastructure.Caching;

namespace Metrics.Infrastructure.Configuration;

/// <summary>
/// What the service keeps in Redis (the query cache, the live channels and their sequence
/// numbers) shares one key prefix, so an operator can find, count or drop it all, and one JSON
/// convention: the stored types' own names, NaN and ±Infinity as the strings JSON allows.
/// </summary>
internal static class RedisConventions
{
    public const string Prefix = "metricservice:";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new PointStreamConverter() },
    };
}
