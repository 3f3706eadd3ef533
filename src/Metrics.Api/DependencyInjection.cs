using System.Text.Json;
using System.Text.Json.Serialization;
using Metrics.Api.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Metrics.Api;

public static class DependencyInjection
{
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        services.AddControllers(options => options.ModelBinderProviders.Insert(0, new UtcDateTimeOffsetModelBinderProvider()))
            .AddJsonOptions(options => Configure(options.JsonSerializerOptions));
        services.Configure<ApiBehaviorOptions>(options => options.InvalidModelStateResponseFactory = ModelStateProblems.Create);

        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }

    /// <summary>The wire format: snake_case names, and NaN/±Infinity as the strings "NaN", "Infinity", "-Infinity".</summary>
    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        json.Converters.Add(new UtcDateTimeOffsetConverter());
    }
}
