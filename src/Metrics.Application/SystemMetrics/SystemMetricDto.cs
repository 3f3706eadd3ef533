using System.Text.Json;
using Metrics.Application.Metrics;
using Metrics.Domain.SystemMetrics;
using Riok.Mapperly.Abstractions;

namespace Metrics.Application.SystemMetrics;

public sealed record SystemMetricDto(Guid RunId, string MetricType, double Value, DateTime Time, JsonElement? Metadata);

[Mapper]
internal static partial class SystemMetricMapper
{
    [MapProperty(nameof(SystemMetric.Type), nameof(SystemMetricDto.MetricType))]
    public static partial SystemMetricDto ToDto(this SystemMetric metric);

    public static partial List<SystemMetricDto> ToDtos(this IReadOnlyList<SystemMetric> metrics);

    private static JsonElement? ParseMetadata(string? json) => MetricMapper.ParseMetadata(json);
}
