using System.Net;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>Idempotency-Key on writes, per API key (IETF httpapi-idempotency-key-header semantics).</summary>
[Collection(ApiCollection.Name)]
public sealed class IdempotencyTests : IAsyncLifetime
{
    private readonly ApiFactory _api = new(settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" });
    private HttpClient _a = null!;
    private HttpClient _b = null!;
    private Guid _aId;

    public async Task InitializeAsync()
    {
        (_a, _aId) = await ClientAsync();
        (_b, _) = await ClientAsync();
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task The_same_key_and_body_replay_the_first_answer_and_store_nothing_again()
    {
        var run = Guid.NewGuid();
        var body = BatchJson(Point(run, "loss", 1, 0.5), Point(run, "loss", 2, 0.25));
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(_a, "/api/v1/metrics/batch", body, key);
        var again = await PostAsync(_a, "/api/v1/metrics/batch", body, key);

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        again.StatusCode.Should().Be(HttpStatusCode.Created);
        (await again.Content.ReadAsStringAsync()).Should().Be(await first.Content.ReadAsStringAsync()).And.Contain("\"inserted\":2");
        again.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        first.Headers.Contains("Idempotent-Replayed").Should().BeFalse();
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(2);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_a_422_and_writes_nothing()
    {
        var run = Guid.NewGuid();
        var key = Guid.NewGuid().ToString();
        (await PostAsync(_a, "/api/v1/metrics/batch", BatchJson(Point(run, "loss", 1, 0.5)), key)).StatusCode.Should().Be(HttpStatusCode.Created);

        var reused = await PostAsync(_a, "/api/v1/metrics/batch", BatchJson(Point(run, "loss", 2, 0.5)), key);

        await reused.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(1);
    }

    [Fact]
    public async Task A_request_still_in_progress_is_a_409_and_a_claim_whose_request_died_is_taken_over()
    {
        var run = Guid.NewGuid();
        var body = BatchJson(Point(run, "loss", 1, 0.5));
        var (busy, dead) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        await ClaimAsync(busy, body, ApiFactory.Now.UtcDateTime);                     // another instance is on it right now
        await ClaimAsync(dead, body, ApiFactory.Now.UtcDateTime.AddMinutes(-1));      // its request never finished

        await (await PostAsync(_a, "/api/v1/metrics/batch", body, busy)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(0);
        (await PostAsync(_a, "/api/v1/metrics/batch", body, dead)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(1);
    }

    [Fact]
    public async Task Keys_are_per_api_key_and_answers_that_invite_a_retry_are_not_kept()
    {
        var key = Guid.NewGuid().ToString();
        var (runA, runB) = (Guid.NewGuid(), Guid.NewGuid());
        (await PostAsync(_a, "/api/v1/metrics/batch", BatchJson(Point(runA, "loss", 1, 0.5)), key)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await PostAsync(_b, "/api/v1/metrics/batch", BatchJson(Point(runB, "loss", 1, 0.5)), key)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await Db.Postgres.CountMetricsAsync(runB)).Should().Be(1, "another API key's Idempotency-Key is another key");

        // A 400 is not kept (it would answer the same again); the corrected request may not reuse the key, a fresh one works.
        var invalid = BatchJson(Point(runA, "loss", -5, 0.5));
        var badKey = Guid.NewGuid().ToString();
        await (await PostAsync(_a, "/api/v1/metrics/batch", invalid, badKey)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        await (await PostAsync(_a, "/api/v1/metrics/batch", invalid, badKey)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        var system = Json(new { metrics = new[] { new { run_id = runA, metric_type = "cpu", value = 50.0, time = "2024-05-01T12:00:00Z" } } });
        var systemKey = Guid.NewGuid().ToString();
        (await PostAsync(_a, "/api/v1/metrics/system/batch", await system.ReadAsStringAsync(), systemKey)).StatusCode.Should().Be(HttpStatusCode.Created);
        var replayed = await PostAsync(_a, "/api/v1/metrics/system/batch", await system.ReadAsStringAsync(), systemKey);
        replayed.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");

        foreach (var malformed in new[] { new string('k', 256), "naïve" })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/metrics/batch") { Content = Json(BatchJson(Point(runA, "loss", 9, 0.5))) };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", malformed);
            await (await _a.SendAsync(request)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        }
    }

    private static string BatchJson(params object[] metrics) => System.Text.Json.JsonSerializer.Serialize(new { metrics });

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string url, string body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Json(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private async Task ClaimAsync(string key, string body, DateTime claimedAt)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("INSERT INTO idempotency_keys (scope, key, request_hash, claimed_at) VALUES (@scope, @key, @hash, @at)", connection);
        command.Parameters.AddWithValue("scope", _aId.ToString());
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("hash", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))));
        command.Parameters.AddWithValue("at", claimedAt);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<(HttpClient, Guid)> ClientAsync()
    {
        var created = await _api.CreateKeyAsync(["metrics:write"]);
        return (_api.CreateClient(created.Key), created.Id);
    }
}
