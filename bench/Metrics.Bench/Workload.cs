using System.Text.Json;

namespace Metrics.Bench;

/// <summary>Realistic training metrics: ~20 names per run, increasing steps, ~135 bytes each, 5% with small metadata.</summary>
internal sealed class Workload(Guid runId, int seed)
{
    public static readonly string[] Names =
    [
        "train/loss", "train/accuracy", "train/perplexity", "train/grad_norm", "train/learning_rate",
        "train/tokens_per_second", "train/samples_per_second", "train/epoch", "val/loss", "val/accuracy",
        "val/perplexity", "val/f1", "gpu/memory_allocated", "gpu/utilization", "optimizer/momentum",
        "optimizer/weight_decay", "loss/regularization", "loss/kl", "eval/bleu", "eval/rouge_l",
    ];

    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly Random _random = new(seed);
    private long _step;

    public Guid RunId { get; } = runId;

    /// <summary>The next <paramref name="count"/> points: whole steps of every name, then the next step.</summary>
    public IEnumerable<(Guid Run, string Name, long Step, double Value, DateTime Time, string? Metadata)> Next(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var name = Names[(int)(_step % Names.Length)];
            var step = _step / Names.Length;
            _step++;
            var metadata = _random.Next(20) == 0 ? "{\"split\":\"val\",\"shard\":" + _random.Next(8) + "}" : null;
            yield return (RunId, name, step, Math.Exp(-step / 5000.0) + (_random.NextDouble() * 0.01), Start.AddMilliseconds(step * 250), metadata);
        }
    }

    /// <summary>A batch request body in the wire format.</summary>
    public byte[] NextBody(int count)
    {
        using var buffer = new MemoryStream(count * 150);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("metrics");
            foreach (var p in Next(count))
            {
                json.WriteStartObject();
                json.WriteString("run_id", p.Run);
                json.WriteString("metric_name", p.Name);
                json.WriteNumber("step", p.Step);
                json.WriteNumber("value", p.Value);
                json.WriteString("time", p.Time);
                if (p.Metadata is not null)
                {
                    json.WritePropertyName("metadata");
                    json.WriteRawValue(p.Metadata);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
