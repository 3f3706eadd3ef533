using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metrics.Api.Infrastructure;

/// <summary>
/// RFC 3339 / ISO 8601 times; one without an offset is UTC (System.Text.Json would take it as
/// the server's local time). Always yields an offset of zero.
/// </summary>
internal sealed partial class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // TryGetDateTime accepts exactly the ISO 8601 profile System.Text.Json supports.
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTime(out _))
        {
            throw new JsonException("Expected an RFC 3339 time such as \"2024-05-01T12:00:00Z\".");
        }

        return Parse(reader.GetString()!);
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(TruncateFraction(text), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();

    /// <summary>
    /// One rule for every time the service reads: digits past the 7th fractional one are cut, not
    /// rounded (.NET would round them), so an instant keeps its microsecond however it is written.
    /// </summary>
    public static string TruncateFraction(string text) => LongFraction().Replace(text, "$1");

    [System.Text.RegularExpressions.GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial System.Text.RegularExpressions.Regex LongFraction();
}
