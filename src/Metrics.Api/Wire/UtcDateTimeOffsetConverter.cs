using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metrics.Api.Wire;

/// <summary>
/// RFC 3339 / ISO 8601 times; one without an offset is UTC (System.Text.Json would take it as
/// the server's local time). Always yields an offset of zero.
/// </summary>
internal sealed partial class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // TryGetDateTime accepts exactly the ISO 8601 profile System.Text.Json supports.
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTime(out var parsed))
        {
            throw new JsonException("Expected an RFC 3339 time such as \"2024-05-01T12:00:00Z\".");
        }

        // Every point carries a time: the common form (at most 7 fractional digits, nothing to cut)
        // is read by the reader itself, without the string, the regex and the culture-aware parse.
        if (!reader.HasValueSequence && !reader.ValueIsEscaped && FractionDigits(reader.ValueSpan) <= 7)
        {
            // The kind says what the text had: nothing (UTC by our rule), "Z", or an offset.
            switch (parsed.Kind)
            {
                case DateTimeKind.Unspecified:
                case DateTimeKind.Utc:
                    return new DateTimeOffset(DateTime.SpecifyKind(parsed, DateTimeKind.Utc));
                case DateTimeKind.Local when reader.TryGetDateTimeOffset(out var withOffset):
                    return withOffset.ToUniversalTime();
            }
        }

        return Parse(reader.GetString()!);
    }

    private static int FractionDigits(ReadOnlySpan<byte> text)
    {
        var dot = text.IndexOf((byte)'.');
        if (dot < 0)
        {
            return 0;
        }

        var digits = text[(dot + 1)..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return digits < 0 ? text.Length - dot - 1 : digits;
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
