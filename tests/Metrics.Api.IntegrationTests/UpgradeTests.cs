using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Metrics.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// A database written by the version before series ids (Fixtures/upgrade-v1: its dump, and that
/// version's answers to 70 reads of it) is upgraded by this version's start-up and answers every
/// read byte for byte as before (bucket means to 13 digits: their float sums follow the query plan).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class UpgradeTests
{
    private const int PointsInFixture = 3000 + 60 + 500 + 2000 + 40;

    [Fact]
    public async Task A_database_of_the_version_before_series_ids_answers_every_read_the_same_after_the_upgrade()
    {
        await using var database = await RestoreV1Async();
        await using var api = new ApiFactory(databaseUrl: database.Url);

        await ExpectSameReadsAsync(api.CreateClient());
        (await database.ScalarAsync("SELECT count(*) FROM points")).Should().Be(PointsInFixture);
        (await database.ScalarAsync("SELECT count(*) FROM pg_tables WHERE tablename IN ('metrics_v1', 'points_upgrade')")).Should().Be(0, "the old table goes once moved");

        // A run of the old version gets a description and keeps its points and start.
        var client = api.CreateClient();
        var described = await (await client.PutAsync("/api/v1/runs/0a0a0a0a-0000-4000-8000-00000000000a", Http.Json(new { name = "old run", tags = new[] { "v1" } })))
            .ReadJsonAsync(System.Net.HttpStatusCode.OK);
        described["point_count"]!.GetValue<long>().Should().Be(3560);
        described["started_at"].Should().NotBeNull();
        var listed = (await client.GetJsonAsync("/api/v1/runs?tag=v1"))["runs"]!.AsArray();
        listed.Select(r => r!["name"]!.GetValue<string>()).Should().Equal("old run");
    }

    [Fact]
    public async Task An_upgrade_interrupted_after_a_chunk_resumes_and_moves_each_point_once()
    {
        await using var database = await RestoreV1Async();
        await using (var context = new MetricsDbContext(new DbContextOptionsBuilder<MetricsDbContext>().UseNpgsql(database.Url).Options))
        {
            await context.Database.MigrateAsync();
        }

        // What a first start did before it stopped: the first two series moved, in one committed
        // chunk with its progress row.
        await database.ScalarAsync("""
            WITH moved AS (
                INSERT INTO points (series_id, step, time, value, metadata)
                SELECT s.series_id, m.step, m.time, m.value, m.metadata
                FROM series s JOIN metrics_v1 m USING (run_id, metric_name)
                WHERE s.series_id <= 2
                RETURNING 1
            )
            UPDATE points_upgrade SET last_series_id = 2, moved = (SELECT count(*) FROM moved) RETURNING moved
            """);

        await using var api = new ApiFactory(databaseUrl: database.Url);
        await ExpectSameReadsAsync(api.CreateClient());
        (await database.ScalarAsync("SELECT count(*) FROM points")).Should().Be(PointsInFixture);
    }

    private static async Task ExpectSameReadsAsync(HttpClient client)
    {
        var expected = await ReadFixtureAsync<Dictionary<string, string>>("reads.json.gz");
        expected.Should().HaveCount(70);
        var differing = new List<string>();
        foreach (var (url, body) in expected)
        {
            var response = await client.GetAsync(url);
            var actual = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || !Answers(WithAveragesTo13Digits(body), WithAveragesTo13Digits(actual)))
            {
                var at = Enumerable.Range(0, Math.Min(actual.Length, body.Length)).FirstOrDefault(i => actual[i] != body[i]);
                differing.Add($"{url}: {(int)response.StatusCode} at {at}: was …{Around(body, at)}…, now …{Around(actual, at)}…");
            }
        }

        string.Join(Environment.NewLine, differing).Should().BeEmpty("every read answers what the version before answered");
    }

    /// <summary>The same JSON, byte for byte, or the same with fields added (newer versions describe runs).</summary>
    private static bool Answers(string before, string now) =>
        before == now || Holds(JsonNode.Parse(before), JsonNode.Parse(now));

    private static bool Holds(JsonNode? before, JsonNode? now) => (before, now) switch
    {
        (JsonObject b, JsonObject n) => b.All(p => n.TryGetPropertyValue(p.Key, out var v) && Holds(p.Value, v)),
        (JsonArray b, JsonArray n) => b.Count == n.Count && b.Zip(n).All(p => Holds(p.First, p.Second)),
        _ => JsonNode.DeepEquals(before, now),
    };

    // A bucket's mean is a float sum whose order follows the query plan (and did before): it may
    // differ in its last digits. Everything else is compared byte for byte.
    private static string WithAveragesTo13Digits(string json) =>
        System.Text.RegularExpressions.Regex.Replace(json, "\"avg\":(-?[0-9.]+(E[+-]?[0-9]+)?)",
            m => "\"avg\":" + double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture).ToString("E12", System.Globalization.CultureInfo.InvariantCulture));

    private static string Around(string text, int at) => text[Math.Max(0, at - 80)..Math.Min(text.Length, at + 80)];

    private static async Task<T> ReadFixtureAsync<T>(string name)
    {
        await using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "upgrade-v1", name));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        return (await JsonSerializer.DeserializeAsync<T>(gzip))!;
    }

    /// <summary>A new database holding the fixture's dump (pg_dump --inserts of the old version's database).</summary>
    private static async Task<ScratchDatabase> RestoreV1Async()
    {
        var database = await ScratchDatabase.CreateAsync("upgrade");
        await using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "upgrade-v1", "v1.sql.gz"));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        // Without psql's meta-commands (\restrict …), which only psql understands.
        var dump = string.Join('\n', (await new StreamReader(gzip).ReadToEndAsync()).Split('\n').Where(line => !line.StartsWith('\\')));

        // On a connection of its own: the dump empties search_path for its session.
        await using var connection = new NpgsqlConnection(database.Url);
        await connection.OpenAsync();
        await using var restore = new NpgsqlCommand(dump, connection);
        await restore.ExecuteNonQueryAsync();
        return database;
    }
}
