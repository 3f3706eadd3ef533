using System.Globalization;
using System.Text;
using Metrics.Api.Wire;
using Metrics.Application.Runs.Queries.ExportRun;
using Metrics.Domain.Metrics;
using Parquet;
using Parquet.Schema;

namespace Metrics.Api.Export;

/// <summary>
/// Writes a run's export to the response as it is read: CSV, or Parquet in row groups of at most
/// <see cref="RowGroupSize"/> points, so what one download holds in memory does not grow with the run.
/// Columns either way: run_id, metric_name, step, time (UTC, microseconds), value (NaN and ±Infinity
/// kept), metadata (JSON text).
/// </summary>
public sealed class RunExportFile(RunExport export) : IResult
{
    public const int RowGroupSize = 50_000;

    private static readonly DataField<string> RunIdField = new("run_id", false);
    private static readonly DataField<string> NameField = new("metric_name", false);
    private static readonly DataField<long?> StepField = new("step");
    private static readonly DataField<DateTime> TimeField = new("time");
    private static readonly DataField<double> ValueField = new("value");
    private static readonly DataField<string> MetadataField = new("metadata", true);

    public static readonly ParquetSchema Schema = new(RunIdField, NameField, StepField, TimeField, ValueField, MetadataField);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        var csv = export.Format == "csv";
        response.ContentType = csv ? "text/csv; charset=utf-8" : "application/vnd.apache.parquet";
        response.Headers.ContentDisposition = $"attachment; filename=\"run-{export.RunId}.{export.Format}\"";
        if (csv)
        {
            await WriteCsvAsync(response.Body, export.Points, cancellationToken);
        }
        else
        {
            await WriteParquetAsync(response.Body, export.Points, cancellationToken);
        }
    }

    public static async Task WriteCsvAsync(Stream body, IAsyncEnumerable<Metric> points, CancellationToken cancellationToken)
    {
        var text = new StringBuilder("run_id,metric_name,step,time,value,metadata\n");
        await foreach (var point in points.WithCancellation(cancellationToken))
        {
            text.Append(point.RunId).Append(',');
            AppendField(text, point.Name).Append(',');
            text.Append(point.Step?.ToString(CultureInfo.InvariantCulture)).Append(',');
            text.Append(point.Time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append(',');
            text.Append(Value(point.Value)).Append(',');
            if (point.Metadata is { } metadata)
            {
                AppendField(text, metadata);
            }

            text.Append('\n');
            if (text.Length >= 64 * 1024)
            {
                await FlushAsync(body, text, cancellationToken);
            }
        }

        await FlushAsync(body, text, cancellationToken);
    }

    public static async Task WriteParquetAsync(Stream body, IAsyncEnumerable<Metric> points, CancellationToken cancellationToken)
    {
        // The writer asks the stream where it is (for the footer's offsets); a response body cannot say.
        await using var output = new CountingStream(body);
        await using var writer = await ParquetWriter.CreateAsync(Schema, output, cancellationToken: cancellationToken);
        var rows = new RowGroup();
        await foreach (var point in points.WithCancellation(cancellationToken))
        {
            rows.Add(point);
            if (rows.Count == RowGroupSize)
            {
                await rows.WriteAsync(writer, cancellationToken);
            }
        }

        if (rows.Count > 0 || !rows.Written)
        {
            await rows.WriteAsync(writer, cancellationToken); // an empty run is still a file with the schema
        }
    }

    private static string Value(double value) =>
        double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : FiniteDoubleConverter.NonFiniteText(value);

    private static StringBuilder AppendField(StringBuilder text, string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0
            ? text.Append(field)
            : text.Append('"').Append(field.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');

    private static async Task FlushAsync(Stream body, StringBuilder text, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()), cancellationToken);
        text.Clear();
    }

    /// <summary>One row group's columns, reused for the next.</summary>
    private sealed class RowGroup
    {
        private readonly string[] _runIds = new string[RowGroupSize];
        private readonly string[] _names = new string[RowGroupSize];
        private readonly long?[] _steps = new long?[RowGroupSize];
        private readonly DateTime[] _times = new DateTime[RowGroupSize];
        private readonly double[] _values = new double[RowGroupSize];
        private readonly string?[] _metadata = new string?[RowGroupSize];

        public int Count { get; private set; }

        public bool Written { get; private set; }

        public void Add(Metric point)
        {
            _runIds[Count] = point.RunId.ToString();
            _names[Count] = point.Name;
            _steps[Count] = point.Step;
            _times[Count] = point.Time;
            _values[Count] = point.Value;
            _metadata[Count] = point.Metadata;
            Count++;
        }

        public async Task WriteAsync(ParquetWriter writer, CancellationToken cancellationToken)
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(RunIdField, new ArraySegment<string>(_runIds, 0, Count));
            await group.WriteAsync(NameField, new ArraySegment<string>(_names, 0, Count));
            await group.WriteAsync(StepField, new ReadOnlyMemory<long?>(_steps, 0, Count), cancellationToken: cancellationToken);
            await group.WriteAsync(TimeField, new ReadOnlyMemory<DateTime>(_times, 0, Count), cancellationToken: cancellationToken);
            await group.WriteAsync(ValueField, new ReadOnlyMemory<double>(_values, 0, Count), cancellationToken: cancellationToken);
            await group.WriteAsync(MetadataField, new ArraySegment<string>(_metadata!, 0, Count));
            Count = 0;
            Written = true;
        }
    }
}
