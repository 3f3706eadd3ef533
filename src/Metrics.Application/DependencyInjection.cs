using Metrics.Application.Common;
using Metrics.Application.Common.Settings;
using Metrics.Application.Common.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Metrics.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<IngestOptions>(configuration);

        ValidationConventions.Apply();
        // Singletons: a validator compiles an expression per rule when constructed, which per request
        // kept the JIT busy for a third of the service's CPU under ingest load. They hold no state.
        services.AddValidatorsFromAssembly(typeof(DependencyInjection).Assembly, ServiceLifetime.Singleton, includeInternalTypes: true);

        // Scoped: handlers use the scoped DbContext. Order: a span, count the batch (rejected ones too),
        // validate, check the caller's project, then serve from cache (so nothing cached reaches a
        // caller who may not see it).
        services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(DependencyInjection)];
            options.PipelineBehaviors = [typeof(TracingBehaviour<,>), typeof(IngestTelemetryBehaviour<,>), typeof(ValidationBehaviour<,>), typeof(ProjectScopeBehaviour<,>), typeof(CachingBehaviour<,>)];
        });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ServiceMetrics>();
        return services;
    }
}
