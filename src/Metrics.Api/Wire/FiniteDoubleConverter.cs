using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Metrics.Domain.Metrics;

namespace Metrics.Api.Wire;

/// <summary>
/// Numbers on the wire: NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"; a number
/// literal a double cannot hold as written (1e400, 1e-400) is refused rather than stored as
/// Infinity or 0, a value the client did not send.
/// </summary>
internal sealed class FiniteDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString() switch
            {
                "NaN" => double.NaN,
                "Infinity" => double.PositiveInfinity,
                "-Infinity" => double.NegativeInfinity,
                _ => throw new JsonException("Expected a number, or one of the strings \"NaN\", \"Infinity\", \"-Infinity\"."),
            };
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException("Expected a number.");
        }

        // The common case without an allocation; only 0 and out-of-range literals are looked at as text.
        if (reader.TryGetDouble(out var value) && double.IsFinite(value) && value != 0)
        {
            return value;
        }

        var literal = Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan);
        if (!MetricRules.IsRepresentableNumber(literal))
        {
            throw new JsonException($"The number {(literal.Length > 40 ? literal[..40] + "…" : literal)} is beyond what a double holds (about ±1.8e308, down to 4.9e-324); send it as \"Infinity\" or 0 if that is what you mean.");
        }

        return double.Parse(literal, System.Globalization.CultureInfo.InvariantCulture);
    }

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(NonFiniteText(value));
        }
    }

    /// <summary>"NaN", "Infinity" or "-Infinity": how a value a JSON number cannot hold is written.</summary>
    public static string NonFiniteText(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}
