using Mediator;
using Metrics.Application.Keys.Commands.CreateApiKey;
using Metrics.Application.Keys.Commands.RevokeApiKey;
using Metrics.Application.Keys.Queries.ListApiKeys;
using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Metrics.Api.Controllers;

/// <summary>API keys, for holders of an admin key. The first admin key comes from <c>./build/run keys create --scopes admin</c>.</summary>
[ApiController]
[Route("api/v1/admin/keys")]
[Authorize(Policy = ApiScopes.Admin)]
[ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
public sealed class AdminController(ISender sender) : ControllerBase
{
    /// <summary>Creates a key; its secret is in this answer only.</summary>
    [HttpPost(Name = "CreateApiKey")]
    [ProducesResponseType<CreatedApiKeyDto>(StatusCodes.Status201Created)]
    public async Task<ActionResult<CreatedApiKeyDto>> Create([FromBody] CreateApiKeyRequest request, CancellationToken cancellationToken) =>
        StatusCode(StatusCodes.Status201Created, await sender.Send(new CreateApiKeyCommand(request.Name ?? string.Empty, request.Scopes ?? [], request.Project), cancellationToken));

    /// <summary>Every key, revoked ones included; never a secret.</summary>
    [HttpGet(Name = "ListApiKeys")]
    [ProducesResponseType<ApiKeysResponse>(StatusCodes.Status200OK)]
    public async Task<ApiKeysResponse> List(CancellationToken cancellationToken) => await sender.Send(new ListApiKeysQuery(), cancellationToken);

    /// <summary>Revokes a key for good (again: no change).</summary>
    [HttpDelete("{key_id}", Name = "RevokeApiKey")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<NoContentResult> Revoke([FromRoute(Name = "key_id")] Guid keyId, CancellationToken cancellationToken)
    {
        await sender.Send(new RevokeApiKeyCommand(keyId), cancellationToken);
        return NoContent();
    }
}

/// <param name="Scopes">Any of metrics:write, metrics:read, admin.</param>
/// <param name="Project">Optional: the key may then only touch runs of this project.</param>
public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes, string? Project);
