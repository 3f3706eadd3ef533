using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Metrics.Application.Live;

namespace Metrics.Api.Live;

/// <summary>
/// One run batch as sent to every subscriber with the same filter: its metrics are serialized
/// once (in the REST JSON shape), however many connections receive them.
/// </summary>
internal sealed class LivePayload
{
    private readonly Lazy<byte[]> _webSocketFrame;

    public LivePayload(LiveMetricBatch batch, JsonSerializerOptions json)
    {
        RunId = batch.RunId;
        Seq = batch.Seq;
        Metrics = new RawJson(JsonSerializer.SerializeToUtf8Bytes(batch.Metrics, json));
        _webSocketFrame = new Lazy<byte[]>(() => Frame(RunId, Seq, Metrics.Utf8));
    }

    public Guid RunId { get; }

    public long Seq { get; }

    public RawJson Metrics { get; }

    /// <summary>The raw WebSocket protocol's <c>{"type":"metric","payload":{…}}</c>, built on first use.</summary>
    public byte[] WebSocketFrame => _webSocketFrame.Value;

    private static byte[] Frame(Guid runId, long seq, byte[] metrics)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"type\":\"metric\",\"payload\":{{\"run_id\":\"{runId}\",\"seq\":{seq},\"metrics\":");
        var frame = new byte[head.Length + metrics.Length + 2];
        head.CopyTo(frame, 0);
        metrics.CopyTo(frame, head.Length);
        frame[^2] = (byte)'}';
        frame[^1] = (byte)'}';
        return frame;
    }
}

/// <summary>Already-encoded JSON, written as is.</summary>
[JsonConverter(typeof(RawJsonConverter))]
public sealed class RawJson(byte[] utf8)
{
    public byte[] Utf8 { get; } = utf8;

    private sealed class RawJsonConverter : JsonConverter<RawJson>
    {
        public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return new RawJson(Encoding.UTF8.GetBytes(document.RootElement.GetRawText()));
        }

        public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value.Utf8, skipInputValidation: true);
    }
}
