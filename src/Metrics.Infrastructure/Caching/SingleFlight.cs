using System.Collections.Concurrent;

namespace Metrics.Infrastructure.Caching;

/// <summary>
/// Stampede protection: concurrent misses of the same key in this process share one computation.
/// A follower whose leader fails (e.g. the leader's request was cancelled) computes on its own.
/// </summary>
internal sealed class SingleFlight
{
    private readonly ConcurrentDictionary<string, Task<object?>> _inFlight = new(StringComparer.Ordinal);

    public async ValueTask<T> RunAsync<T>(string key, Func<CancellationToken, ValueTask<T>> compute, CancellationToken cancellationToken)
    {
        var mine = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leader = _inFlight.GetOrAdd(key, mine.Task);
        if (leader != mine.Task)
        {
            try
            {
                return (T)(await leader.WaitAsync(cancellationToken))!;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                return await compute(cancellationToken);
            }
        }

        try
        {
            var value = await compute(cancellationToken);
            mine.SetResult(value);
            return value;
        }
        catch (Exception ex)
        {
            mine.SetException(ex);
            _ = mine.Task.Exception; // observed: followers retry on their own
            throw;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<object?>>(key, mine.Task));
        }
    }
}
