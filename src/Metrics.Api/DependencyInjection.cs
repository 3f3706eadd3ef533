using Metrics.Api.Hosting;
using Metrics.Api.Live;
using Metrics.Api.OpenApi;
using Metrics.Api.Problems;
using Metrics.Api.Security;
using Metrics.Api.Wire;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding.Validation;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Metrics.Api;

public static class DependencyInjection
{
    public static IServiceCollection AddApi(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddApiKeyAuth(configuration, environment);
        services.AddSettings<HostingOptions>(configuration);
        services.AddApiRateLimits(configuration);
        services.AddBrowserPolicies(configuration);
        services.AddTelemetry(configuration);

        // JSON lines for log collectors, readable ones on a terminal; the trace id in every line's scope.
        var logs = configuration.ReadSettings<LoggingOptions>();
        services.AddSettings<LoggingOptions>(configuration);
        services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
            if (logs.Json)
            {
                logging.AddJsonConsole(o => { o.IncludeScopes = true; o.UseUtcTimestamp = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ"; });
            }
            else
            {
                logging.AddSimpleConsole(o => { o.IncludeScopes = true; o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
            }
        });
        services.AddHostedService<FirstKeyHint>();
        services.AddControllers(options => options.ModelBinderProviders.Insert(0, new UtcDateTimeOffsetModelBinderProvider()))
            .AddJsonOptions(options => WireJson.Configure(options.JsonSerializerOptions));

        // Live updates share the REST JSON shape. Instances exchange batches over the service's
        // own Redis channel and each delivers to its local connections, so no SignalR backplane
        // is needed, and none is registered: it would refuse new connections while Redis is down (ADR 0007).
        services.AddSignalR(options =>
            {
                options.AddFilter<HubErrorLogging>();
                options.AddFilter<LiveMessageLimits>();
            })
            .AddJsonProtocol(options => WireJson.Configure(options.PayloadSerializerOptions));
        services.AddSingleton<LiveSubscribers>();
        services.AddSingleton<LiveConnections>();
        services.AddSingleton<ILiveKeyAccess>(sp => sp.GetRequiredService<LiveConnections>());
        services.AddHostedService<LiveKeyWatch>();
        services.AddSingleton<LiveShutdown>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveShutdown>());
        services.AddSingleton<ILiveMetricDelivery>(sp => sp.GetRequiredService<LiveSubscribers>());
        services.Configure<ApiBehaviorOptions>(options => options.InvalidModelStateResponseFactory = ModelStateProblems.Create);
        services.AddSingleton<IObjectModelValidator, NoObjectModelValidation>();

        // Minimal-API JSON options drive the OpenAPI schemas (and the problem writer): our types get
        // the wire names there too, while ProblemDetails keeps its own ("traceId").
        services.ConfigureHttpJsonOptions(options => WireJson.ConfigureOwnTypes(options.SerializerOptions));
        services.AddMetricsOpenApi();

        services.AddHealthChecks().AddCheck<ShutdownHealthCheck>("shutdown", tags: ["ready-only"]);

        // SIGTERM: Kestrel stops accepting, in-flight requests (and their batches) finish, live
        // connections are closed; whatever is still running after the grace period is cut.
        services.AddOptions<HostOptions>().Configure<IOptions<HostingOptions>>((host, hosting) => host.ShutdownTimeout = TimeSpan.FromSeconds(hosting.Value.ShutdownGraceSeconds));

        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }
}
