using System.Data.Common;
using System.Net.Sockets;
using FluentValidation;
using Metrics.Api.Hosting;
using Metrics.Application.Common.Exceptions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Metrics.Api.Problems;

/// <summary>Every exception becomes an RFC 9457 problem; internals never reach the client.</summary>
internal sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before retrying while the database is unreachable.</summary>
    private const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left; nobody is there to read an answer.
            return true;
        }

        var problem = exception switch
        {
            ValidationException v => new ValidationProblemDetails(
                v.Errors.GroupBy(e => e.PropertyName, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray(), StringComparer.Ordinal))
            {
                Status = StatusCodes.Status400BadRequest,
                Title = ModelStateProblems.Title(httpContext.Request),
            },
            NotFoundException nf => new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = nf.Message },
            ForbiddenException f => new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Forbidden", Detail = f.Message },
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request",
                Detail = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"This endpoint takes request bodies of at most {BodyLimit(httpContext)} bytes; send less (a batch: fewer points)."
                    : bad.Message,
            },
            // A data error of PostgreSQL's (class 22: a value out of range, an escape jsonb refuses) on
            // something validation let through: still the client's input, and nothing was written.
            _ when DataError(exception) is { } data => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = ModelStateProblems.Title(httpContext.Request),
                Detail = $"A value in the request cannot be stored or compared: {data.MessageText}",
            },
            _ when IsDatabaseUnavailable(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Storage unavailable",
                Detail = "The database cannot be reached right now. Nothing was written; retry later.",
            },
            _ => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "Internal error",
                Detail = "An unexpected error occurred. It has been logged.",
            },
        };

        switch (problem.Status)
        {
            case StatusCodes.Status503ServiceUnavailable:
                httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (LogThrottle.ShouldLog("database unavailable", TimeProvider.System, out var folded))
                {
                    LogUnavailable(logger, exception.Message, folded);
                }

                break;
            case >= 500:
                LogUnexpected(logger, exception);
                break;
        }

        await ProblemWriter.WriteAsync(httpContext, problem);
        return true;
    }

    /// <summary>The limit the endpoint set (its [RequestSizeLimit]), or the service-wide one.</summary>
    private static long BodyLimit(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? ApiLimits.MaxRequestBodyBytes;

    private static Npgsql.PostgresException? DataError(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException { SqlState: var state } postgres && state.StartsWith("22", StringComparison.Ordinal))
            {
                return postgres;
            }
        }

        return null;
    }

    // Besides what Npgsql calls transient: anything short of a server's answer (no host, or no
    // primary among the hosts, as in a failover), a server shutting down (57P01-3), and a write
    // refused as read-only (25006: the host was the primary when connected and is a standby now).
    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { IsTransient: true } or SocketException or TimeoutException
                or Npgsql.NpgsqlException and not Npgsql.PostgresException
                or Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "25006" })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable: {Reason} ({Folded} more since the last line)")]
    private static partial void LogUnavailable(ILogger logger, string reason, long folded);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
