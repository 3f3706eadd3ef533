using Metrics.Api.Live;
using Metrics.Api.Problems;
using Metrics.Application.Common.Settings;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Metrics.Api.Security;

/// <summary>Other origins whose pages may call the API (CORS_ORIGINS, comma-separated; default none).</summary>
public sealed class BrowserOptions
{
    [ConfigurationKeyName("CORS_ORIGINS")]
    public string OriginList { get; set; } = string.Empty;

    public IReadOnlyList<string> Origins =>
        OriginList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(o => o.TrimEnd('/')).ToArray();
}

/// <summary>
/// What browsers may do across origins. <see cref="BrowserOptions"/> lists the
/// other origins whose pages may call the API, the hub and the raw WebSocket; a live connection
/// from a page of any other origin (its Origin header) is refused, since browsers do not apply
/// CORS to WebSockets. Clients that send no Origin (scripts, SDKs) are not browsers and pass.
/// The dashboard's files carry a strict Content-Security-Policy.
/// </summary>
internal static class BrowserPolicies
{
    public const string CorsPolicy = "configured-origins";

    private const string DashboardCsp =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    // The API reference shares the dashboard's origin (and so its stored key): no framing, no
    // connections elsewhere. Scalar's page configures itself with inline script and styles.
    private const string ReferenceCsp =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static IServiceCollection AddBrowserPolicies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<BrowserOptions>(configuration);
        services.AddSingleton(sp => new AllowedOrigins(sp.GetRequiredService<IOptions<BrowserOptions>>().Value.Origins));
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<BrowserOptions>>((options, browsers) => options.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins([.. browsers.Value.Origins])
            .WithMethods("GET", "POST", "PUT", "DELETE")
            .WithHeaders("Authorization", "X-Api-Key", "Content-Type", "Idempotency-Key", "X-Requested-With", "X-SignalR-User-Agent")
            .WithExposedHeaders("Retry-After", "Idempotent-Replayed", "WWW-Authenticate")));
        return services;
    }

    /// <summary>CORS, the live endpoints' Origin check, and security headers on every answer.</summary>
    public static WebApplication UseBrowserPolicies(this WebApplication app)
    {
        app.UseCors(CorsPolicy);
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            if (context.Request.Path.StartsWithSegments("/scalar"))
            {
                context.Response.Headers.ContentSecurityPolicy = ReferenceCsp;
                context.Response.Headers.XFrameOptions = "DENY";
            }

            if (LiveRoutes.IsLive(context.Request.Path) && context.Request.Headers.Origin is { Count: > 0 } origin
                && !context.RequestServices.GetRequiredService<AllowedOrigins>().Allows(origin, context.Request))
            {
                await ProblemWriter.WriteAsync(context, StatusCodes.Status403Forbidden, "Origin not allowed", $"Pages from {origin} may not open live connections here (CORS_ORIGINS).");
                return;
            }

            await next(context);
        });
        return app;
    }

    /// <summary>For the dashboard's static files.</summary>
    public static void AddDashboardHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = DashboardCsp;
        response.Headers.XFrameOptions = "DENY";
    }

    private sealed class AllowedOrigins(IReadOnlyList<string> origins)
    {
        public bool Allows(StringValues origin, HttpRequest request)
        {
            var value = origin.ToString().TrimEnd('/');
            return origins.Contains(value, StringComparer.OrdinalIgnoreCase)
                || (Uri.TryCreate(value, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
        }
    }
}
