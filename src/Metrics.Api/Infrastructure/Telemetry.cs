using Metrics.Application.Common.Telemetry;
using Metrics.Domain.Keys;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Metrics.Api.Infrastructure;

/// <summary>
/// One metrics stack, OpenTelemetry: the service's own instruments (<see cref="ServiceMetrics"/>),
/// ASP.NET Core, HttpClient, Npgsql and the runtime, scraped by Prometheus at /metrics with a key
/// of scope telemetry:read (or admin); METRICS_AUTH=open serves it without a key, for a scraper
/// on a private network. Traces: ASP.NET Core, HttpClient, Npgsql and the
/// mediator pipeline; exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
internal static class Telemetry
{
    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("metricservice"))
            .WithMetrics(metrics => metrics
                .AddMeter(ServiceMetrics.Name, "Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());

        // Spans cost something on every request: recorded only when they go somewhere (OTLP, or
        // TRACING=on for an exporter added in code, as the tests do).
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (otlp || string.Equals(configuration["TRACING"], "on", StringComparison.OrdinalIgnoreCase))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(ServiceMetrics.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql());
        }

        if (otlp)
        {
            otel.UseOtlpExporter();
        }

        return services;
    }

    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var scrape = app.MapPrometheusScrapingEndpoint("/metrics");
        var mode = app.Configuration["METRICS_AUTH"];
        if (string.IsNullOrWhiteSpace(mode) || mode.Equals("key", StringComparison.OrdinalIgnoreCase) || mode.Equals("admin", StringComparison.OrdinalIgnoreCase))
        {
            scrape.RequireAuthorization(ApiScopes.Telemetry);
        }
        else if (!mode.Equals("open", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"METRICS_AUTH must be 'key' (the default) or 'open', not '{mode}'.");
        }

        return app;
    }
}
