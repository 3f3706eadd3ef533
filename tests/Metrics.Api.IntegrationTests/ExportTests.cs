using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Parquet;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>GET /api/v1/runs/{run_id}/export: the files parsed back and compared point by point with the API's history.</summary>
[Collection(ApiCollection.Name)]
public sealed class ExportTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private sealed record Row(string MetricName, long? Step, string Time, string Value, string? Metadata);

    private async Task<Guid> SeedAsync(int steps = 5)
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Enumerable.Range(0, steps).SelectMany(i => new[]
        {
            Point(run, "train/loss", i, i switch { 1 => "NaN", 2 => "Infinity", 3 => "-Infinity", _ => 1.0 / (i + 1) }, $"2024-05-01T12:00:{i:00}.123456Z"),
            Point(run, "acc", i, i * 0.25, $"2024-05-01T12:00:{i:00}Z", new { lr = 0.001, note = "a \"quoted\", comma" }),
        }).ToArray());
        return run;
    }

    /// <summary>What the history endpoint says, in the export's order: series by name, each by time.</summary>
    private async Task<List<Row>> HistoryAsync(Guid run)
    {
        var rows = new List<Row>();
        foreach (var name in new[] { "acc", "train/loss" })
        {
            var history = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/{Uri.EscapeDataString(name)}?order=asc&limit=10000");
            rows.AddRange(history["metrics"]!.AsArray().Select(m => new Row(
                name,
                m!["step"]?.GetValue<long>(),
                DateTime.Parse(m["time"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                m["value"]!.ToJsonString().Trim('"'),
                m["metadata"] is JsonObject metadata ? metadata.ToJsonString() : null)));
        }

        return rows;
    }

    private static string Value(double value) => value switch
    {
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') { quoted = !quoted; }
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else { field.Append(c); }
        }

        fields.Add(field.ToString());
        return fields;
    }

    [Fact]
    public async Task A_csv_export_holds_every_point_as_the_history_reads_it()
    {
        var run = await SeedAsync();

        var response = await _client.GetAsync($"/api/v1/runs/{run}/export?format=csv");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        response.Content.Headers.ContentDisposition!.FileName.Should().Contain(run.ToString());
        var lines = (await response.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        lines[0].Should().Be("run_id,metric_name,step,time,value,metadata");
        var rows = lines.Skip(1).Select(CsvFields).Select(f =>
        {
            f[0].Should().Be(run.ToString());
            return new Row(f[1], f[2] == "" ? null : long.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4], f[5] == "" ? null : JsonNode.Parse(f[5])!.ToJsonString());
        }).ToList();
        rows.Should().Equal(await HistoryAsync(run));
        rows.Select(r => r.Value).Should().Contain(["NaN", "Infinity", "-Infinity"]);
    }

    [Fact]
    public async Task A_parquet_export_in_bounded_row_groups_holds_every_point_as_the_history_reads_it()
    {
        var run = await SeedAsync();

        var response = await _client.GetAsync($"/api/v1/runs/{run}/export?format=parquet");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/vnd.apache.parquet");
        using var file = new MemoryStream(await response.Content.ReadAsByteArrayAsync());
        await using var reader = await ParquetReader.CreateAsync(file);
        var fields = reader.Schema.GetDataFields();
        fields.Select(f => f.Name).Should().Equal("run_id", "metric_name", "step", "time", "value", "metadata");
        var rows = new List<Row>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            var runIds = new string?[n];
            var names = new string?[n];
            var steps = new long?[n];
            var times = new DateTime[n];
            var values = new double[n];
            var metadata = new string?[n];
            await group.ReadAsync(fields[0], runIds.AsMemory());
            await group.ReadAsync(fields[1], names.AsMemory());
            await group.ReadAsync<long>(fields[2], steps.AsMemory());
            await group.ReadAsync<DateTime>(fields[3], times.AsMemory());
            await group.ReadAsync<double>(fields[4], values.AsMemory());
            await group.ReadAsync(fields[5], metadata.AsMemory());
            runIds.Should().AllBe(run.ToString());
            rows.AddRange(Enumerable.Range(0, n).Select(i => new Row(
                names[i]!, steps[i], times[i].ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                Value(values[i]), metadata[i] is { } m ? JsonNode.Parse(m)!.ToJsonString() : null)));
        }

        rows.Should().Equal(await HistoryAsync(run));
        rows.Select(r => r.Value).Should().Contain(["NaN", "Infinity", "-Infinity"]);
    }

    [Fact]
    public async Task Metric_names_narrow_an_export_and_an_unknown_run_is_an_empty_file()
    {
        var run = await SeedAsync();

        var csv = await _client.GetStringAsync($"/api/v1/runs/{run}/export?format=csv&metric_names=acc");
        var empty = await _client.GetStringAsync($"/api/v1/runs/{Guid.NewGuid()}/export?format=csv");
        var emptyParquet = await _client.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/export?format=parquet");

        csv.TrimEnd('\n').Split('\n').Skip(1).Should().HaveCount(5).And.OnlyContain(l => l.Contains(",acc,"));
        empty.Should().Be("run_id,metric_name,step,time,value,metadata\n");
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(await emptyParquet.Content.ReadAsByteArrayAsync()));
        reader.Schema.GetDataFields().Should().HaveCount(6);
    }

    [Theory]
    [InlineData("format=xlsx", "format")]
    [InlineData("format=csv&metric_names=bad%00name", "metric_names")]
    public async Task A_bad_format_or_name_is_a_problem_naming_the_parameter(string query, string parameter)
    {
        var run = await SeedAsync(1);

        var problem = await (await _client.GetAsync($"/api/v1/runs/{run}/export?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(parameter);
    }
}
