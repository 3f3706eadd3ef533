using System.Diagnostics;

namespace Metrics.Api.Hosting;

/// <summary>
/// One line per request (category Metrics.Api.Requests): method, path without its query string
/// (where access tokens travel), status and duration, with the trace id in the scope; never
/// bodies or headers. Successes at Information (off by default), failures at Warning. Failures
/// that come in floods (503 while a dependency is down, 429) are throttled: one line per status
/// and 10 s, saying how many were folded into it.
/// </summary>
internal sealed partial class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger, TimeProvider clock)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (status < 400)
            {
                LogDone(logger, context.Request.Method, context.Request.Path, status, ms);
            }
            else
            {
                long folded = 0;
                if (status is not (503 or 429) || LogThrottle.ShouldLog($"request {status}", clock, out folded))
                {
                    LogFailed(logger, context.Request.Method, context.Request.Path, status, ms, Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier, folded);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} {Status} in {Milliseconds:F1} ms")]
    private static partial void LogDone(ILogger logger, string method, string path, int status, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed: {Status} in {Milliseconds:F1} ms (trace {TraceId}; {Folded} like it since the last line)")]
    private static partial void LogFailed(ILogger logger, string method, string path, int status, double milliseconds, string traceId, long folded);
}

/// <summary>At most one line per subject and 10 s; the rest are counted and reported with the next line.</summary>
internal static class LogThrottle
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (DateTimeOffset Last, long Folded)> Subjects = new(StringComparer.Ordinal);

    public static bool ShouldLog(string subject, TimeProvider clock, out long folded)
    {
        var now = clock.GetUtcNow();
        lock (Gate)
        {
            if (Subjects.TryGetValue(subject, out var entry) && now - entry.Last < Window)
            {
                Subjects[subject] = (entry.Last, entry.Folded + 1);
                folded = 0;
                return false;
            }

            folded = entry.Folded;
            Subjects[subject] = (now, 0);
            return true;
        }
    }
}
