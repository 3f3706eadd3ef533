using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authentication;

namespace Metrics.Api.Security;

internal static class SecurityServices
{
    /// <summary>API-key authentication and one authorization policy per scope (named after it); admin passes every policy.</summary>
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var mode = Mode(configuration, environment); // now, so a bad setting stops the start
        services.Configure<AuthOptions>(o => o.Mode = mode);
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddSingleton<UnknownKeyThrottle>();
        services.AddHttpContextAccessor();
        services.AddScoped<RequestCaller>();
        services.AddScoped<Metrics.Application.Common.Abstractions.ICaller>(sp => sp.GetRequiredService<RequestCaller>());
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

    /// <summary>AUTH_MODE when set; otherwise keys, except in Development. Production never runs without keys.</summary>
    private static AuthMode Mode(IConfiguration configuration, IHostEnvironment environment)
    {
        var text = configuration["AUTH_MODE"];
        var mode = string.IsNullOrWhiteSpace(text)
            ? (environment.IsDevelopment() ? AuthMode.None : AuthMode.Keys)
            : Enum.TryParse<AuthMode>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new InvalidOperationException($"AUTH_MODE must be 'keys' or 'none', not '{text}'.");
        if (mode == AuthMode.None && environment.IsProduction())
        {
            throw new InvalidOperationException("AUTH_MODE=none is for local development; set ENVIRONMENT=development to use it.");
        }

        return mode;
    }
}
