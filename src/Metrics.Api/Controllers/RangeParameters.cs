using Metrics.Application.Common.Models;
using Microsoft.AspNetCore.Mvc;

namespace Metrics.Api.Controllers;

/// <summary>The query-string filters of every time-ordered read.</summary>
public class TimeRangeParameters
{
    /// <summary>1–10000.</summary>
    [FromQuery(Name = "limit")]
    public int Limit { get; init; } = RangeQuery.DefaultLimit;

    /// <summary>Inclusive; RFC 3339, UTC when no offset is given.</summary>
    [FromQuery(Name = "start_time")]
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Inclusive; RFC 3339, UTC when no offset is given.</summary>
    [FromQuery(Name = "end_time")]
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>"desc" (default, newest first) or "asc".</summary>
    [FromQuery(Name = "order")]
    public string? Order { get; init; }
}

/// <summary>Time filters plus the step range, for training metrics.</summary>
public sealed class StepRangeParameters : TimeRangeParameters
{
    [FromQuery(Name = "min_step")]
    public long? MinStep { get; init; }

    [FromQuery(Name = "max_step")]
    public long? MaxStep { get; init; }
}
