using Metrics.Application.Common.Settings;
using Metrics.Application.Common.Telemetry;
using Metrics.Domain.Keys;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Metrics.Api.Hosting;

/// <summary>What is exported, and who may scrape /metrics.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Set: traces are recorded and exported over OTLP (the exporter reads the OTEL_* settings itself).</summary>
    [ConfigurationKeyName("OTEL_EXPORTER_OTLP_ENDPOINT")]
    public string? OtlpEndpoint { get; set; }

    /// <summary>On: traces are recorded without OTLP, for an exporter added in code (as the tests do).</summary>
    [ConfigurationKeyName("TRACING")]
    public Switch Tracing { get; set; } = Switch.Off;

    /// <summary>Who may scrape /metrics: a key of scope telemetry:read (or admin), or anyone, for a scraper on a private network.</summary>
    [ConfigurationKeyName("METRICS_AUTH")]
    public ScrapeAccess MetricsAuth { get; set; } = ScrapeAccess.Key;

    public bool Otlp => !string.IsNullOrWhiteSpace(OtlpEndpoint);

    public enum Switch
    {
        Off,
        On,
    }

    public enum ScrapeAccess
    {
        Key,

        /// <summary>An older spelling of <see cref="Key"/>: an admin key passes every scope's policy anyway.</summary>
        Admin,
        Open,
    }
}

/// <summary>
/// One metrics stack, OpenTelemetry: the service's own instruments (<see cref="ServiceMetrics"/>),
/// ASP.NET Core, HttpClient, Npgsql and the runtime, scraped by Prometheus at /metrics with a key
/// of scope telemetry:read (or admin); METRICS_AUTH=open serves it without a key, for a scraper
/// on a private network (<see cref="TelemetryOptions"/>). Traces: ASP.NET Core, HttpClient, Npgsql and the
/// mediator pipeline; exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
internal static class Telemetry
{
    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // Read now: which exporters exist is decided while services are registered.
        var settings = configuration.ReadSettings<TelemetryOptions>();
        services.AddSettings<TelemetryOptions>(configuration);
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
        if (settings.Otlp || settings.Tracing == TelemetryOptions.Switch.On)
        {
            otel.WithTracing(tracing => tracing
                .AddSource(ServiceMetrics.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql());
        }

        if (settings.Otlp)
        {
            otel.UseOtlpExporter();
        }

        return services;
    }

    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var scrape = app.MapPrometheusScrapingEndpoint("/metrics");
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.MetricsAuth != TelemetryOptions.ScrapeAccess.Open)
        {
            scrape.RequireAuthorization(ApiScopes.Telemetry);
        }

        return app;
    }
}
