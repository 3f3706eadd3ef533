using System.Text.Json.Nodes;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;
using Metrics.Application.Metrics.Queries.GetRunMetrics;
using Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Metrics.Api.OpenApi;

/// <summary>
/// Makes the generated schemas say what the wire says. The request records have nullable fields
/// so that a missing field becomes a validation error rather than a zero; on the wire those
/// fields are required and never null.
/// </summary>
internal static class WireSchemas
{
    private const string NamedFloats =
        "A JSON number, or one of the strings \"NaN\", \"Infinity\" and \"-Infinity\" for the IEEE values JSON cannot write as numbers.";

    // Required on the wire, never null there (the validators enforce it).
    private static readonly Dictionary<Type, string[]> RequiredProperties = new()
    {
        [typeof(WriteMetricBatchCommand)] = ["metrics"],
        [typeof(WriteSystemMetricBatchCommand)] = ["metrics"],
        [typeof(MetricInput)] = ["run_id", "metric_name", "value"],
        [typeof(SystemMetricInput)] = ["run_id", "metric_type", "value"],

        // Counts are computed properties (written after streamed points), which the generator
        // does not mark required by itself.
        [typeof(RunMetricsResponse)] = ["run_id", "metrics", "count"],
        [typeof(MetricAcrossRunsResponse)] = ["metric_name", "runs", "count"],
        [typeof(RunSeriesDto)] = ["run_id", "metrics", "count"],
    };

    public static Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        var nullable = underlying != type && !IsRequired(context.JsonPropertyInfo);
        if (underlying == typeof(double) || underlying == typeof(float))
        {
            NamedFloat(schema, nullable);
        }
        else if (underlying == typeof(DateTimeOffset) || underlying == typeof(DateTime))
        {
            // Written by our own converters (always UTC, 'Z'), which hide the type from the generator.
            schema.Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String;
            schema.Format = "date-time";
        }

        if (RequiredProperties.TryGetValue(type, out var required))
        {
            Require(schema, required);
        }

        if (type == typeof(WriteMetricBatchCommand) || type == typeof(WriteSystemMetricBatchCommand))
        {
            if (schema.Properties?["metrics"] is OpenApiSchema metrics)
            {
                var batchSize = context.ApplicationServices.GetRequiredService<IOptions<IngestOptions>>().Value.MaxBatchSize;
                metrics.MinItems = 1;
                metrics.MaxItems = batchSize;
                metrics.Description = $"1 to {batchSize} items (the service's BATCH_SIZE); stored all or nothing.";
            }
        }
        else if (type == typeof(MetricInput))
        {
            Describe(schema, "metric_name", s =>
            {
                s.MinLength = 1;
                s.MaxLength = MetricRules.MaxNameLength;
            });
            Describe(schema, "step", s => s.Minimum = "0");
            Describe(schema, "time", s => s.Description = "Defaults to the time the service received the batch.");
        }
        else if (type == typeof(SystemMetricInput))
        {
            Describe(schema, "metric_type", s => s.Enum = SystemMetricTypes.Names.Select(n => (JsonNode)JsonValue.Create(n)).ToList());
            Describe(schema, "time", s => s.Description = "Defaults to the time the service received the batch.");
        }
        else if (type == typeof(ProblemDetails) || type == typeof(ValidationProblemDetails))
        {
            schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
            schema.Properties["traceId"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The request's trace id, also in the service's logs.",
            };
        }

        return Task.CompletedTask;
    }

    // A number, or a string that can only be "NaN", "Infinity" or "-Infinity" ('pattern' applies to
    // strings alone): exact JSON Schema, and generators still type it as a number (C#: double;
    // TypeScript: number | string). An anyOf of number and a string enum would be as exact, but
    // NSwag turns anyOf into an empty class.
    private static void NamedFloat(OpenApiSchema schema, bool nullable)
    {
        schema.Type = nullable ? JsonSchemaType.Number | JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.Number | JsonSchemaType.String;
        schema.Format = "double";
        schema.Pattern = "^(NaN|Infinity|-Infinity)$";
        schema.AnyOf = null;
        schema.Description ??= NamedFloats;
    }

    private static bool IsRequired(System.Text.Json.Serialization.Metadata.JsonPropertyInfo? property) =>
        property is { DeclaringType: var declaring, Name: var name }
        && RequiredProperties.TryGetValue(declaring, out var names) && names.Contains(name);

    /// <summary>Only these properties are required, and they are never null.</summary>
    private static void Require(OpenApiSchema schema, string[] names)
    {
        schema.Required = new HashSet<string>(names);
        foreach (var name in names)
        {
            Describe(schema, name, property =>
            {
                if (property.Type is { } t)
                {
                    property.Type = t & ~JsonSchemaType.Null;
                }
            });
        }
    }

    private static void Describe(OpenApiSchema schema, string property, Action<OpenApiSchema> change)
    {
        if (schema.Properties is { } properties && properties.TryGetValue(property, out var found) && found is OpenApiSchema editable)
        {
            change(editable);
        }
    }
}
