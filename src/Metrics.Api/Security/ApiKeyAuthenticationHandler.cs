using System.Security.Claims;
using System.Text.Encodings.Web;
using Mediator;
using Metrics.Api.Live;
using Metrics.Api.Problems;
using Metrics.Application.Keys.Queries.AuthenticateApiKey;
using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Metrics.Api.Security;

/// <summary>
/// API keys from <c>Authorization: Bearer</c>, <c>X-Api-Key</c>, or (for the live endpoints only,
/// where browsers cannot set headers) the <c>access_token</c> query parameter. The key itself is
/// never logged. With AUTH_MODE=none every request acts with every scope.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AuthOptions> auth,
    UnknownKeyThrottle unknownKeys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";
    public const string ProjectClaim = "project";

    private static readonly ClaimsPrincipal Everyone = new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, "anonymous (AUTH_MODE=none)"), .. ApiScopes.All.Select(s => new Claim(ScopeClaim, s))], SchemeName));

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (auth.Value.Mode is AuthMode.None)
        {
            return AuthenticateResult.Success(new AuthenticationTicket(Everyone, SchemeName));
        }

        if (PresentedKey() is not { Length: > 0 } presented)
        {
            return AuthenticateResult.NoResult();
        }

        // Each unknown key costs a lookup: an address that sends many is held off for a moment.
        var address = Context.Connection.RemoteIpAddress?.ToString() ?? string.Empty;
        if (unknownKeys.IsHeldOff(address))
        {
            Context.Items[typeof(UnknownKeyThrottle)] = true;
            return AuthenticateResult.Fail("Too many unknown API keys from this address.");
        }

        var sender = Context.RequestServices.GetRequiredService<ISender>();
        if (await sender.Send(new AuthenticateApiKeyQuery(presented), Context.RequestAborted) is not { } key)
        {
            unknownKeys.Count(address);
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, key.Id.ToString()), new(ClaimTypes.Name, key.Name) };
        claims.AddRange(key.Scopes.Select(s => new Claim(ScopeClaim, s)));
        if (key.Project is { } project)
        {
            claims.Add(new Claim(ProjectClaim, project));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(typeof(UnknownKeyThrottle)))
        {
            await RateLimits.RefuseAsync(Context, "unknown-keys", 1,
                $"This address sent more than {UnknownKeyThrottle.PerSecond} unknown API keys per second; retry after Retry-After seconds.");
            return;
        }

        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = PresentedKey() is { Length: > 0 }
            ? "The API key is unknown or revoked."
            : "An API key is required: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'.";
        await ProblemWriter.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var scopes = Context.User.FindAll(ScopeClaim).Select(c => c.Value).ToList();
        await ProblemWriter.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", $"This API key may not do this (its scopes: {(scopes.Count == 0 ? "none" : string.Join(", ", scopes))}).");
    }

    private string? PresentedKey()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        if (Request.Headers.TryGetValue("X-Api-Key", out var header))
        {
            return header.ToString().Trim();
        }

        return LiveRoutes.IsLive(Request.Path)
            ? Request.Query["access_token"].ToString()
            : null;
    }

    /// <summary>The key's id: what per-key limits and idempotency records are kept under; null without a key.</summary>
    public static string? KeyIdOf(ClaimsPrincipal user) => user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
}

/// <summary>Unknown keys per client address: a token bucket of <see cref="PerSecond"/>/s (bursts of five times that).</summary>
internal sealed class UnknownKeyThrottle : IDisposable
{
    public const int PerSecond = 10;

    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _limiter =
        System.Threading.RateLimiting.PartitionedRateLimiter.Create<string, string>(address =>
            System.Threading.RateLimiting.RateLimitPartition.GetTokenBucketLimiter(address, _ => new System.Threading.RateLimiting.TokenBucketRateLimiterOptions
            {
                TokenLimit = 5 * PerSecond,
                TokensPerPeriod = PerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                AutoReplenishment = true,
            }));

    public bool IsHeldOff(string address) => _limiter.GetStatistics(address)?.CurrentAvailablePermits <= 0;

    public void Count(string address) => _limiter.AttemptAcquire(address).Dispose();

    public void Dispose() => _limiter.Dispose();
}
