namespace Metrics.Application.Common.Models;

/// <summary>
/// The points of a response. Answers small enough to cache are read whole (<see cref="Of"/>);
/// larger ones are read from storage while the response is being written (<see cref="OpenAsync"/>, <see cref="Streamed"/>),
/// so what one request holds in memory does not grow with what it asks for. A response writes
/// <see cref="Count"/> after the points: for a stream it is known once they have been written.
/// </summary>
public sealed class PointStream<T> : IAsyncEnumerable<T>
{
    private IAsyncEnumerator<T>? _opened;
    private IAsyncEnumerable<T>? _source;
    private int _streamed;

    private PointStream(IReadOnlyList<T>? items, IAsyncEnumerable<T>? source, IAsyncEnumerator<T>? opened)
    {
        Items = items;
        _source = source;
        _opened = opened;
    }

    /// <summary>The points, when they were read whole; null for a stream.</summary>
    public IReadOnlyList<T>? Items { get; }

    /// <summary>How many points there are (for a stream: how many have been enumerated so far).</summary>
    public int Count => Items?.Count ?? _streamed;

    public static PointStream<T> Of(IReadOnlyList<T> items) => new(items, null, null);

    /// <summary>Points read lazily from <paramref name="source"/> when enumerated (once).</summary>
    public static PointStream<T> Streamed(IAsyncEnumerable<T> source) => new(null, source, null);

    /// <summary>
    /// A stream whose first point has been read already, so that a query that cannot run (storage
    /// unreachable) fails before the response has started, while it can still be a proper error.
    /// </summary>
    public static async ValueTask<PointStream<T>> OpenAsync(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var enumerator = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            if (await enumerator.MoveNextAsync())
            {
                return new PointStream<T>(null, null, enumerator);
            }
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }

        await enumerator.DisposeAsync();
        return Streamed(AsyncEnumerable.Empty<T>());
    }

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        Items is { } items ? Enumerate(items) : Enumerate(cancellationToken);

    private static async IAsyncEnumerator<T> Enumerate(IReadOnlyList<T> items)
    {
        foreach (var item in items)
        {
            yield return item;
        }
    }

    private async IAsyncEnumerator<T> Enumerate(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _opened, null) is { } opened)
        {
            // Opened with the request's token; its first point is current.
            await using (opened)
            {
                do
                {
                    _streamed++;
                    yield return opened.Current;
                }
                while (await opened.MoveNextAsync());
            }

            yield break;
        }

        var source = Interlocked.Exchange(ref _source, null)
            ?? throw new InvalidOperationException("A streamed answer can be enumerated only once.");
        await foreach (var item in source.WithCancellation(cancellationToken))
        {
            _streamed++;
            yield return item;
        }
    }
}
