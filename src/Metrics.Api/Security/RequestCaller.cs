using System.Security.Claims;
using Metrics.Application.Common.Abstractions;

namespace Metrics.Api.Security;

/// <summary>
/// The caller of the current request (its key's claims). Hub invocations are not HTTP requests:
/// the hub sets <see cref="User"/> from its connection before it sends anything.
/// </summary>
internal sealed class RequestCaller(IHttpContextAccessor http) : ICaller
{
    public ClaimsPrincipal? User { get; set; }

    public string? Project => (User ?? http.HttpContext?.User)?.FindFirst(ApiKeyAuthenticationHandler.ProjectClaim)?.Value;
}
