using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Metrics.Api.Wire;

/// <summary>
/// The wire format, set up once for MVC, SignalR, minimal APIs (the OpenAPI schemas and problems)
/// and what the live endpoints serialize themselves: snake_case names, UTC times with 'Z', NaN and
/// ±Infinity as the strings "NaN", "Infinity", "-Infinity", and no key given twice.
/// </summary>
public static class WireJson
{
    /// <summary>The wire format, for what is serialized outside MVC and SignalR (raw WebSocket, live payloads).</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>The wire format: snake_case names, and NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity".</summary>
    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        ConfigureValues(json);
    }

    private static void ConfigureValues(JsonSerializerOptions json)
    {
        json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        json.Converters.Add(new UtcDateTimeOffsetConverter());
        json.Converters.Add(new UtcDateTimeConverter());
        json.Converters.Add(new FiniteDoubleConverter());

        // A key given twice in one object (a batch item, a live message) is refused, not last-one-wins.
        json.AllowDuplicateProperties = false;
    }

    private static void SnakeCaseOwnTypes(JsonTypeInfo type)
    {
        if (type.Kind == JsonTypeInfoKind.Object && type.Type.Namespace?.StartsWith("Metrics.", StringComparison.Ordinal) == true)
        {
            foreach (var property in type.Properties)
            {
                property.Name = JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            }
        }
    }

    private static JsonSerializerOptions Create()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(json);
        json.MakeReadOnly(populateMissingResolver: true);
        return json;
    }

    /// <summary>
    /// Minimal APIs: our types get the wire names and values, while ProblemDetails keeps its own
    /// names ("traceId").
    /// </summary>
    public static void ConfigureOwnTypes(JsonSerializerOptions json)
    {
        ConfigureValues(json);
        json.TypeInfoResolver = (json.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(SnakeCaseOwnTypes);
    }
}
