using Microsoft.AspNetCore.SignalR;

namespace Metrics.Api.Live;

/// <summary>
/// SignalR logs every failed hub invocation as an error, including a client's bad arguments
/// (<see cref="HubException"/>). That category is silenced in appsettings; this filter logs the
/// client's mistakes at Debug and real failures as errors.
/// </summary>
internal sealed partial class HubErrorLogging(ILogger<HubErrorLogging> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (HubException ex)
        {
            LogRejected(logger, context.HubMethodName, ex.Message);
            throw;
        }
        catch (Exception ex)
        {
            LogFailed(logger, context.HubMethodName, ex);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Hub call {Method} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string method, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Hub call {Method} failed")]
    private static partial void LogFailed(ILogger logger, string method, Exception exception);
}
