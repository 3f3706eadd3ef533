using System.Text.Json;
using FluentValidation;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Microsoft.Extensions.DependencyInjection;

namespace Metrics.Application;

public static class DependencyInjection
{
    public static IServiceCollection AddApplication(this IServiceCollection services, Action<IngestOptions>? configureIngest = null)
    {
        services.AddOptions<IngestOptions>().Configure(o => configureIngest?.Invoke(o));

        // Failures name fields as clients write them: metrics[17].run_id, not Metrics[17].RunId.
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : JsonNamingPolicy.SnakeCaseLower.ConvertName(member.Name);
        services.AddValidatorsFromAssembly(typeof(DependencyInjection).Assembly, includeInternalTypes: true);

        // Scoped: handlers use the scoped DbContext. Order: validate first, then serve from cache.
        services.AddMediator(options =>
        {
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(DependencyInjection)];
            options.PipelineBehaviors = [typeof(ValidationBehaviour<,>), typeof(CachingBehaviour<,>)];
        });

        services.AddSingleton(TimeProvider.System);
        return services;
    }
}
