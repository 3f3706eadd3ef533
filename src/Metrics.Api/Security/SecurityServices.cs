using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Settings;
using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authentication;

namespace Metrics.Api.Security;

internal static class SecurityServices
{
    /// <summary>API-key authentication and one authorization policy per scope (named after it); admin passes every policy.</summary>
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSettings<AuthOptions>(configuration)
            .PostConfigure(o => o.Mode ??= environment.IsDevelopment() ? AuthMode.None : AuthMode.Keys)
            .Validate(o => o.Mode != AuthMode.None || !environment.IsProduction(), "AUTH_MODE=none is for local development; set ENVIRONMENT=development to use it.");
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddSingleton<UnknownKeyThrottle>();
        services.AddHttpContextAccessor();
        services.AddScoped<RequestCaller>();
        services.AddScoped<ICaller>(sp => sp.GetRequiredService<RequestCaller>());
        services.AddAuthorization(options =>
        {
            foreach (var scope in ApiScopes.All)
            {
                options.AddPolicy(scope, policy => policy
                    .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                    .RequireAuthenticatedUser()
                    .RequireAssertion(c => c.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope)
                        || c.User.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, ApiScopes.Admin)));
            }
        });
        return services;
    }
}
