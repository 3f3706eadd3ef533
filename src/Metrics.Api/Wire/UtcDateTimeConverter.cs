using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metrics.Api.Wire;

/// <summary>
/// Every time a response holds is UTC and says so ('Z'). Stored times are timestamptz, read as UTC,
/// except PostgreSQL's ±infinity (from databases written before times were bounded), which Npgsql
/// reads as DateTime.MinValue/MaxValue with no kind and System.Text.Json would write without a zone.
/// </summary>
internal sealed class UtcDateTimeConverter : JsonConverter<DateTime>
{
    public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTime(out _))
        {
            throw new JsonException("Expected an RFC 3339 time such as \"2024-05-01T12:00:00Z\".");
        }

        return UtcDateTimeOffsetConverter.Parse(reader.GetString()!).UtcDateTime;
    }

    public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Kind switch
        {
            DateTimeKind.Utc => value,
            DateTimeKind.Local => value.ToUniversalTime(),
            _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
        });
}
