using System.Threading.Channels;

namespace Metrics.Api.Live;

/// <summary>
/// One live client (a SignalR connection or a raw WebSocket) with a bounded send queue drained by
/// its own loop, so a slow client only ever delays itself. When its queue is full it is dropped:
/// it reconnects and backfills over REST, instead of growing memory or holding up the others.
/// </summary>
internal abstract class LiveConnection<TMessage>(int queueCapacity, string? keyId) : ILiveConnection
{
    public string? KeyId => keyId;

    private readonly Channel<TMessage> _queue = Channel.CreateBounded<TMessage>(
        new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public bool TryDeliver(LivePayload payload) => _queue.Writer.TryWrite(ToMessage(payload));

    public int QueueDepth => _queue.Reader.CanCount ? _queue.Reader.Count : 0;

    public abstract void Abort();

    protected bool TryEnqueue(TMessage message) => _queue.Writer.TryWrite(message);

    protected abstract TMessage ToMessage(LivePayload payload);

    protected abstract Task SendAsync(TMessage message, CancellationToken cancellationToken);

    /// <summary>Sends queued messages until the connection ends; a failed send ends it.</summary>
    public async Task RunSendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                await SendAsync(message, cancellationToken);
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            Abort();
        }
    }

    public void Complete() => _queue.Writer.TryComplete();
}

internal interface ILiveConnection
{
    /// <summary>The id of the API key the connection was opened with; null without keys (AUTH_MODE=none).</summary>
    string? KeyId => null;

    /// <summary>Queues the batch without waiting; false when the client cannot keep up.</summary>
    bool TryDeliver(LivePayload payload);

    /// <summary>Batches waiting in the send queue.</summary>
    int QueueDepth => 0;

    void Abort();
}
