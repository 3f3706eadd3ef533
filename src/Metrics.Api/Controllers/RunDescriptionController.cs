using Mediator;
using Metrics.Api.Security;
using Metrics.Application.Runs;
using Metrics.Application.Runs.Commands.DescribeRun;
using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Metrics.Api.Controllers;

/// <summary>Describing a run is a write: the write scope, the write quota and the project rules of writes.</summary>
[ApiController]
[Route("api/v1/runs/{run_id}")]
[Authorize(Policy = ApiScopes.Write)]
public sealed class RunDescriptionController(ISender sender) : ControllerBase
{
    /// <summary>
    /// Creates or updates a run's name, tags, config and status. Fields left out or null stay as
    /// they are; a new run starts as running. A finished or failed status sets ended_at (now, unless
    /// given). A project-bound key may describe its project's runs and new ones, which join its project.
    /// </summary>
    [HttpPut(Name = "DescribeRun")]
    [ServiceFilter<RateLimits.MetricQuotaFilter>]
    [RequestSizeLimit(256 * 1024)]
    [ProducesResponseType<RunDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<RunDto> Describe([FromRoute(Name = "run_id")] Guid runId, [FromBody] RunDescriptionBody body, CancellationToken cancellationToken) =>
        await sender.Send(new DescribeRunCommand(runId, body), cancellationToken);
}
