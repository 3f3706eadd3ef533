using Mediator;
using Metrics.Api.Export;
using Metrics.Api.Security;
using Metrics.Api.Wire;
using Metrics.Application.Metrics;
using Metrics.Application.Metrics.Queries.GetDownsampledMetric;
using Metrics.Application.Metrics.Queries.GetLatestMetric;
using Metrics.Application.Metrics.Queries.GetMetricHistory;
using Metrics.Application.Metrics.Queries.GetMetricStats;
using Metrics.Application.Metrics.Queries.GetRunMetrics;
using Metrics.Application.Metrics.Queries.GetTimeBucketedMetric;
using Metrics.Application.Runs;
using Metrics.Application.Runs.Queries.ExportRun;
using Metrics.Application.Runs.Queries.GetRun;
using Metrics.Application.Runs.Queries.GetRunMetricNames;
using Metrics.Application.Runs.Queries.ListRuns;
using Metrics.Application.SystemMetrics.Queries.GetSystemMetrics;
using Metrics.Domain.Keys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Metrics.Api.Controllers;

[ApiController]
[Route("api/v1/runs/{run_id}")]
[Authorize(Policy = ApiScopes.Read)]
[ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
public sealed class RunsController(ISender sender) : ControllerBase
{
    /// <summary>
    /// Runs, most recent activity first: <c>search</c> matches a name (anywhere, any case) or an id
    /// prefix; each <c>tag</c> given must be present; <c>status</c> is running, finished or failed.
    /// Pages of <c>limit</c>; pass <c>next_cursor</c> as <c>cursor</c> for the next page. Counts
    /// as an expensive read (it reads every run's summary).
    /// </summary>
    [HttpGet("/api/v1/runs", Name = "ListRuns")]
    [EnableRateLimiting(RateLimitOptions.ExpensiveReads)]
    [ProducesResponseType<RunListResponse>(StatusCodes.Status200OK)]
    public async Task<RunListResponse> ListRuns(
        [FromQuery(Name = "limit")] int limit = ListRunsQuery.DefaultLimit,
        [FromQuery(Name = "search")] string? search = null,
        [FromQuery(Name = "tag")] string[]? tags = null,
        [FromQuery(Name = "status")] string? status = null,
        [FromQuery(Name = "cursor")] string? cursor = null,
        CancellationToken cancellationToken = default) =>
        await sender.Send(new ListRunsQuery(limit, string.IsNullOrEmpty(search) ? null : search, tags is { Length: > 0 } ? tags : null, status, cursor), cancellationToken);

    /// <summary>A run's name, tags, config, status and activity.</summary>
    [HttpGet(Name = "GetRun")]
    [ProducesResponseType<RunDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<RunDto> GetRun([FromRoute(Name = "run_id")] Guid runId, CancellationToken cancellationToken) =>
        await sender.Send(new GetRunQuery(runId), cancellationToken);

    /// <summary>The names of a run's metrics in ordinal order (empty for an unknown run).</summary>
    [HttpGet("metric-names", Name = "GetRunMetricNames")]
    [ProducesResponseType<RunMetricNamesResponse>(StatusCodes.Status200OK)]
    public async Task<RunMetricNamesResponse> GetMetricNames([FromRoute(Name = "run_id")] Guid runId, CancellationToken cancellationToken) =>
        await sender.Send(new GetRunMetricNamesQuery(runId), cancellationToken);

    /// <summary>
    /// A run's metrics, newest first unless order=asc. <c>metric_names=loss,acc</c> reads several
    /// series at once, up to <c>limit</c> points each, grouped in the order named (at most 50,000
    /// points per response). Counts as an expensive read.
    /// </summary>
    [HttpGet("metrics", Name = "GetRunMetrics")]
    [EnableRateLimiting(RateLimitOptions.ExpensiveReads)]
    [ProducesResponseType<RunMetricsResponse>(StatusCodes.Status200OK)]
    public async Task<RunMetricsResponse> GetRunMetrics(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromQuery(Name = "metric_name")] string? metricName,
        [FromQuery(Name = "metric_names")][ModelBinder(typeof(CommaSeparatedModelBinder))] string[]? metricNames,
        [FromQuery] StepRangeParameters range,
        CancellationToken cancellationToken) =>
        await sender.Send(
            new GetRunMetricsQuery(runId, metricName, range.Limit, range.StartTime, range.EndTime, range.MinStep, range.MaxStep, range.Order, metricNames),
            cancellationToken);

    /// <summary>One metric's history. Names containing '/' are percent-encoded (train%2Floss).</summary>
    [HttpGet("metrics/{metric_name}", Name = "GetMetricHistory")]
    [ProducesResponseType<MetricHistoryResponse>(StatusCodes.Status200OK)]
    public async Task<MetricHistoryResponse> GetMetricHistory(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromRoute(Name = "metric_name")] string metricName,
        [FromQuery] StepRangeParameters range,
        CancellationToken cancellationToken) =>
        await sender.Send(
            new GetMetricHistoryQuery(runId, RouteValues.MetricName(metricName), range.Limit, range.StartTime, range.EndTime, range.MinStep, range.MaxStep, range.Order),
            cancellationToken);

    /// <summary>The point with the highest step (step-less points and ties by time).</summary>
    [HttpGet("metrics/{metric_name}/latest", Name = "GetLatestMetric")]
    [ProducesResponseType<MetricDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<MetricDto> GetLatest(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromRoute(Name = "metric_name")] string metricName,
        CancellationToken cancellationToken) =>
        await sender.Send(new GetLatestMetricQuery(runId, RouteValues.MetricName(metricName)), cancellationToken);

    /// <summary>Count, min, max, mean, sample standard deviation and time span of a metric.</summary>
    [HttpGet("metrics/{metric_name}/stats", Name = "GetMetricStats")]
    [ProducesResponseType<MetricStatsDto>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<MetricStatsDto> GetStats(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromRoute(Name = "metric_name")] string metricName,
        CancellationToken cancellationToken) =>
        await sender.Send(new GetMetricStatsQuery(runId, RouteValues.MetricName(metricName)), cancellationToken);

    /// <summary>
    /// A chart-ready series: at most <c>points</c> step buckets (min, max, avg, last) over
    /// [min_step, max_step], plus the range's first and last points.
    /// </summary>
    [HttpGet("metrics/{metric_name}/downsampled", Name = "GetDownsampledMetric")]
    [EnableRateLimiting(RateLimitOptions.ExpensiveReads)]
    [ProducesResponseType<DownsampledMetricResponse>(StatusCodes.Status200OK)]
    public async Task<DownsampledMetricResponse> GetDownsampled(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromRoute(Name = "metric_name")] string metricName,
        [FromQuery(Name = "points")] int points = GetDownsampledMetricQuery.DefaultPoints,
        [FromQuery(Name = "min_step")] long? minStep = null,
        [FromQuery(Name = "max_step")] long? maxStep = null,
        CancellationToken cancellationToken = default) =>
        await sender.Send(new GetDownsampledMetricQuery(runId, RouteValues.MetricName(metricName), points, minStep, maxStep), cancellationToken);

    /// <summary>
    /// A chart-ready series over time: at most <c>points</c> buckets of one readable width (1 s to
    /// 1 week, then whole weeks) over [start_time, end_time] (default: the whole series), each with
    /// min, max, avg, last value and step range. On TimescaleDB, served by continuous aggregates.
    /// </summary>
    [HttpGet("metrics/{metric_name}/time-buckets", Name = "GetTimeBucketedMetric")]
    [EnableRateLimiting(RateLimitOptions.ExpensiveReads)]
    [ProducesResponseType<TimeBucketedMetricResponse>(StatusCodes.Status200OK)]
    public async Task<TimeBucketedMetricResponse> GetTimeBuckets(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromRoute(Name = "metric_name")] string metricName,
        [FromQuery(Name = "points")] int points = GetTimeBucketedMetricQuery.DefaultPoints,
        [FromQuery(Name = "start_time")] DateTimeOffset? startTime = null,
        [FromQuery(Name = "end_time")] DateTimeOffset? endTime = null,
        CancellationToken cancellationToken = default) =>
        await sender.Send(new GetTimeBucketedMetricQuery(runId, RouteValues.MetricName(metricName), points, startTime, endTime), cancellationToken);

    /// <summary>
    /// Every point of a run (or of <c>metric_names</c>) as a file: <c>format=csv</c> or
    /// <c>parquet</c>, columns run_id, metric_name, step, time, value, metadata; series in name
    /// order, each in time order. Streamed as it is read. Counts as an expensive read.
    /// </summary>
    [HttpGet("export", Name = "ExportRun")]
    [EnableRateLimiting(RateLimitOptions.ExpensiveReads)]
    [ProducesResponseType(typeof(Stream), StatusCodes.Status200OK, "text/csv", "application/vnd.apache.parquet")]
    public async Task<IResult> Export(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromQuery(Name = "format")] string format = "csv",
        [FromQuery(Name = "metric_names")][ModelBinder(typeof(CommaSeparatedModelBinder))] string[]? metricNames = null,
        CancellationToken cancellationToken = default) =>
        new RunExportFile(await sender.Send(new ExportRunQuery(runId, format, metricNames), cancellationToken));

    /// <summary>A run's system metrics, newest first unless order=asc.</summary>
    [HttpGet("system-metrics", Name = "GetSystemMetrics")]
    [ProducesResponseType<SystemMetricsResponse>(StatusCodes.Status200OK)]
    public async Task<SystemMetricsResponse> GetSystemMetrics(
        [FromRoute(Name = "run_id")] Guid runId,
        [FromQuery(Name = "metric_type")] string? metricType,
        [FromQuery] TimeRangeParameters range,
        CancellationToken cancellationToken) =>
        await sender.Send(new GetSystemMetricsQuery(runId, metricType, range.Limit, range.StartTime, range.EndTime, range.Order), cancellationToken);
}
