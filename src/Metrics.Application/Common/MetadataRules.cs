using System.Text;
using System.Text.Json;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Common;

/// <summary>
/// What a point's free-form metadata may be: what PostgreSQL's jsonb stores and gives back as sent.
/// </summary>
internal static class MetadataRules
{
    public static readonly string Message =
        $"'metadata' must be a JSON object (or null) of at most {MetricRules.MaxMetadataBytes} bytes (UTF-8), with unique keys, "
        + "numbers within double's range, and text without \\u0000 or unpaired UTF-16 surrogates.";

    public static bool IsValid(JsonElement? metadata) => IsStorableObject(metadata, MetricRules.MaxMetadataBytes);

    /// <summary>Null, or a JSON object of at most <paramref name="maxBytes"/> (UTF-8) that jsonb stores as sent.</summary>
    public static bool IsStorableObject(JsonElement? metadata, int maxBytes)
    {
        if (metadata is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var raw = element.GetRawText();
        return Encoding.UTF8.GetByteCount(raw) <= maxBytes
            && !raw.Contains("\\u0000", StringComparison.OrdinalIgnoreCase)
            && IsStorable(element);
    }

    /// <summary>The text to store; JSON null is stored as SQL NULL.</summary>
    public static string? ToStored(JsonElement? metadata) =>
        metadata is { ValueKind: not JsonValueKind.Null } element ? element.GetRawText() : null;

    // jsonb refuses an escaped lone surrogate ("\ud800") and numbers beyond numeric's range; keys
    // repeated in one object would silently lose all but the last.
    private static bool IsStorable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsWellFormed(property, out var name) || !keys.Add(name) || !IsStorable(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Array:
                return element.EnumerateArray().All(item => IsStorable(item));
            case JsonValueKind.String:
                return IsWellFormed(element);
            case JsonValueKind.Number:
                return MetricRules.IsRepresentableNumber(element.GetRawText());
            default:
                return true;
        }
    }

    private static bool IsWellFormed(JsonProperty property, out string name)
    {
        try
        {
            name = property.Name;
            return !HasLoneSurrogate(name);
        }
        catch (InvalidOperationException)
        {
            name = string.Empty;
            return false;
        }
    }

    private static bool IsWellFormed(JsonElement text)
    {
        try
        {
            return !HasLoneSurrogate(text.GetString()!);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
