using System.Text.Json;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Common;

/// <summary>What a point's free-form metadata may be.</summary>
internal static class MetadataRules
{
    public static readonly string Message =
        $"'metadata' must be a JSON object (or null) of at most {MetricRules.MaxMetadataBytes} bytes, without \\u0000.";

    public static bool IsValid(JsonElement? metadata)
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

        // PostgreSQL's jsonb cannot hold the NUL character.
        return raw.Length <= MetricRules.MaxMetadataBytes && !raw.Contains("\\u0000", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The text to store; JSON null is stored as SQL NULL.</summary>
    public static string? ToStored(JsonElement? metadata) =>
        metadata is { ValueKind: not JsonValueKind.Null } element ? element.GetRawText() : null;
}
