using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Metrics.Api.OpenApi;

public static class OpenApiSetup
{
    /// <summary>True while the build writes the document: the app is only built, never started, and needs no database.</summary>
    public static bool IsBuildTimeGeneration { get; } =
        System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    private const string SortOrder = "SortOrder";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Metrics"] = "Write batches of training and system metrics; read one metric across runs.",
        ["Runs"] = "Runs: their descriptions and list, and the reads of one run's metrics (history, latest, stats, downsampled, time buckets, export).",
        ["RunDescription"] = "Name, tags, config and status of a run.",
        ["Admin"] = "API keys, for holders of an admin key.",
    };
    private const string BearerScheme = "bearer";
    private const string HeaderScheme = "apiKey";

    public static IServiceCollection AddMetricsOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "MetricService API",
                    Version = "v1",
                    Description = "Ingest, query and downsample training metrics. Metric values are numbers, or the strings "
                        + "\"NaN\", \"Infinity\" and \"-Infinity\". Every error is an RFC 9457 problem (application/problem+json). "
                        + "Live updates: SignalR hub /hubs/metrics and WebSocket /ws/metrics/{run_id} (see the README).",
                    License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-MetricService-Proprietary" },
                };
                // Relative: the document is right wherever it is served from (and has no trailing slash).
                document.Servers = [new OpenApiServer { Url = "/", Description = "This service" }];
                foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
                {
                    tag.Description ??= TagDescriptions.GetValueOrDefault(tag.Name ?? string.Empty);
                }

                // One shared type for every 'order' parameter, so generated clients get one enum.
                document.Components ??= new OpenApiComponents();
                document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
                // The export's file body is inlined as binary; the generator still lists Stream's schema.
                document.Components.Schemas.Remove("Stream");
                document.Components.Schemas[SortOrder] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [JsonValue.Create("asc"), JsonValue.Create("desc")],
                    Default = JsonValue.Create("desc"),
                    Description = "Order of the points: by time (then step), newest first unless 'asc'.",
                };
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key (msk_…): Authorization: Bearer <key>.",
                };
                document.Components.SecuritySchemes[HeaderScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "X-Api-Key",
                    Description = "The same key in the X-Api-Key header.",
                };
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer(WireSchemas.TransformAsync);
            options.AddOperationTransformer((operation, context, _) =>
            {
                // Generated clients and Scalar name an operation by its summary: a short one from its
                // id; the action's XML comment (which the generator puts there) says more, below.
                if (Sentence(operation.OperationId) is { } name && name != operation.Summary)
                {
                    operation.Description = $"{operation.Summary}\n\n{operation.Description}".Trim();
                    operation.Summary = name;
                }
                // The scope an operation needs (its policy), as the role of either scheme, plus its 401 and 403.
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().LastOrDefault()?.Policy is { } scope)
                {
                    operation.Security =
                    [
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [scope] },
                        new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(HeaderScheme, context.Document)] = [scope] },
                    ];
                    operation.Description = $"{operation.Description}\n\nNeeds an API key with the scope '{scope}' (or admin).".TrimStart();
                    AddProblem(operation, StatusCodes.Status401Unauthorized, "No API key, or an unknown or revoked one.");
                    AddProblem(operation, StatusCodes.Status403Forbidden, $"The API key lacks the scope '{scope}', or is bound to another project.");
                    AddProblem(operation, StatusCodes.Status429TooManyRequests, "Over this key's rate limit; retry after Retry-After seconds.");
                }

                foreach (var parameter in operation.Parameters ?? [])
                {
                    if (parameter is OpenApiParameter { Name: "order" } order)
                    {
                        order.Schema = new OpenApiSchemaReference(SortOrder);
                    }
                }

                if (context.Description.ActionDescriptor.FilterDescriptors.Any(f => f.Filter is ServiceFilterAttribute { ServiceType: var t } && t == typeof(Security.IdempotencyFilter)))
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = Security.IdempotencyFilter.Header,
                        In = ParameterLocation.Header,
                        Description = "Optional, 1–255 printable ASCII characters: resending the same request with the same key replays the first answer "
                            + "(Idempotent-Replayed: true) instead of writing again. Remembered per API key for IDEMPOTENCY_TTL_HOURS (default 24).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
                    });
                    AddProblem(operation, StatusCodes.Status409Conflict, "A request with this Idempotency-Key is still in progress.");
                    AddProblem(operation, StatusCodes.Status422UnprocessableEntity, "This Idempotency-Key was used with a different body.");
                }

                // MVC also lists text/plain and text/json; the service reads and answers
                // application/json, and writes every error as application/problem+json.
                if (operation.RequestBody?.Content is { } requestContent)
                {
                    KeepOnly(requestContent, "application/json");
                }

                operation.Responses ??= [];
                foreach (var (status, response) in operation.Responses)
                {
                    KeepOnly(response.Content, status[0] is '4' or '5' ? "application/problem+json" : "application/json");
                }

                // What any request can meet: an unexpected failure, or the database out of reach.
                AddProblem(operation, StatusCodes.Status500InternalServerError, "Unexpected error (logged with the problem's traceId).");
                AddProblem(operation, StatusCodes.Status503ServiceUnavailable, "The database cannot be reached; retry after Retry-After seconds.");
                return Task.CompletedTask;
            });
        });

    /// <summary>The document at /openapi/v1.json and Scalar's page for trying requests at /scalar.</summary>
    public static WebApplication MapMetricsOpenApi(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/scalar", options => options.WithTitle("MetricService API"));
        return app;
    }

    /// <summary>"GetMetricHistory" → "Get metric history".</summary>
    private static string? Sentence(string? operationId) =>
        operationId is null ? null : System.Text.RegularExpressions.Regex.Replace(operationId, "(?<=[a-z])(?=[A-Z])", " ") is var words
            ? words[..1] + words[1..].ToLowerInvariant().Replace("api key", "API key", StringComparison.Ordinal)
            : null;

    private static void KeepOnly(IDictionary<string, OpenApiMediaType>? content, string mediaType)
    {
        foreach (var other in content?.Keys.Where(k => k != mediaType).ToList() ?? [])
        {
            content!.Remove(other);
        }
    }

    private static void AddProblem(OpenApiOperation operation, int status, string description)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }

        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails)) },
            },
        };
    }
}
