using Mediator;
using Metrics.Api.Hosting;
using Metrics.Api.Security;
using Metrics.Api.Wire;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;
using Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;
using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Metrics.Api.Controllers;

[ApiController]
[Route("api/v1/metrics")]
public sealed class MetricsController(ISender sender) : ControllerBase
{
    /// <summary>Store up to BATCH_SIZE training metrics, all or nothing; retried points are not stored twice.</summary>
    [HttpPost("batch", Name = "WriteMetricBatch")]
    [Authorize(Policy = ApiScopes.Write)]
    [ServiceFilter<RateLimits.MetricQuotaFilter>]
    [ServiceFilter<IdempotencyFilter>]
    [RequestSizeLimit(ApiLimits.MaxRequestBodyBytes)]
    [ProducesResponseType<BatchWriteResult>(StatusCodes.Status201Created)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<ActionResult<BatchWriteResult>> WriteBatch([FromBody] WriteMetricBatchCommand command, CancellationToken cancellationToken) =>
        StatusCode(StatusCodes.Status201Created, await sender.Send(command, cancellationToken));

    /// <summary>
    /// One metric across several runs (<c>run_ids=a,b,…</c>, up to 100), for comparison charts:
    /// up to <c>limit</c> points per run (at most 50,000 points per response), with the usual
    /// time/step filters and order. Counts as an expensive read.
    /// </summary>
    [HttpGet("{metric_name}", Name = "GetMetricAcrossRuns")]
    [Authorize(Policy = ApiScopes.Read)]
    [EnableRateLimiting(RateLimitOptions.ExpensiveReads)]
    [ProducesResponseType<MetricAcrossRunsResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<MetricAcrossRunsResponse> GetAcrossRuns(
        [FromRoute(Name = "metric_name")] string metricName,
        [FromQuery(Name = "run_ids")][ModelBinder(typeof(CommaSeparatedModelBinder))] Guid[]? runIds,
        [FromQuery] StepRangeParameters range,
        CancellationToken cancellationToken) =>
        await sender.Send(
            new GetMetricAcrossRunsQuery(
                RouteValues.MetricName(metricName), runIds ?? [], range.Limit, range.StartTime, range.EndTime, range.MinStep, range.MaxStep, range.Order),
            cancellationToken);

    /// <summary>Store up to BATCH_SIZE system metrics (CPU, GPU, memory, disk, network), all or nothing.</summary>
    [HttpPost("system/batch", Name = "WriteSystemMetricBatch")]
    [Authorize(Policy = ApiScopes.Write)]
    [ServiceFilter<RateLimits.MetricQuotaFilter>]
    [ServiceFilter<IdempotencyFilter>]
    [RequestSizeLimit(ApiLimits.MaxRequestBodyBytes)]
    [ProducesResponseType<BatchWriteResult>(StatusCodes.Status201Created)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<ActionResult<BatchWriteResult>> WriteSystemBatch([FromBody] WriteSystemMetricBatchCommand command, CancellationToken cancellationToken) =>
        StatusCode(StatusCodes.Status201Created, await sender.Send(command, cancellationToken));
}
