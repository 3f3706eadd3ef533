using System.Text.Json;
using Metrics.Domain.Metrics;
using Riok.Mapperly.Abstractions;

namespace Metrics.Application.Metrics;

/// <summary>A metric point as clients see it (snake_case on the wire).</summary>
public sealed record MetricDto(
    Guid RunId,
    string MetricName,
    long? Step,
    double Value,
    DateTime Time,
    JsonElement? Metadata);

[Mapper]
internal static partial class MetricMapper
{
    [MapProperty(nameof(Metric.Name), nameof(MetricDto.MetricName))]
    public static partial MetricDto ToDto(this Metric metric);

    public static partial List<MetricDto> ToDtos(this IReadOnlyList<Metric> metrics);

    /// <summary>Metadata is stored as JSON text; clients get it back as a JSON object.</summary>
    internal static JsonElement? ParseMetadata(string? json)
    {
        if (json is null)
        {
            return null;
        }

        // Clone detaches the element, so the document's pooled buffers can be returned.
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
