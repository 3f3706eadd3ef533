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
/// ASP.NET Core, HttpClient, Npgsql and the runtime, scraped by Prometheus at /metrics (open, or
/// with METRICS_AUTH=admin only for admin keys). Traces: ASP.NET Core, HttpClient, Npgsql and the
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
        if (string.Equals(app.Configuration["METRICS_AUTH"], "admin", StringComparison.OrdinalIgnoreCase))
        {
            scrape.RequireAuthorization(ApiScopes.Admin);
        }

        return app;
    }
}
