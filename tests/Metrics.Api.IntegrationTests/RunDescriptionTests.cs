using System.Net;
using System.Text.Json.Nodes;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>Runs described (name, tags, config, status) and the run list's filters and pages.</summary>
[Collection(ApiCollection.Name)]
public sealed class RunDescriptionTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task A_put_creates_a_run_and_later_puts_change_only_the_fields_they_name()
    {
        var run = Guid.NewGuid();
        var created = await PutAsync(run, new { name = "lr 3e-4", tags = new[] { "baseline", "resnet" }, config = new { lr = 3e-4, layers = new[] { 64, 64 }, optimizer = "adam" } });

        created["run_id"]!.GetValue<Guid>().Should().Be(run);
        created["status"]!.GetValue<string>().Should().Be("running", "a new run starts as running");
        created["ended_at"].Should().BeNull();
        created["config"]!.ToJsonString().Should().Be("""{"lr":0.0003,"layers":[64,64],"optimizer":"adam"}""");
        created["point_count"]!.GetValue<long>().Should().Be(0);

        var finished = await PutAsync(run, new { status = "finished" });
        finished["name"]!.GetValue<string>().Should().Be("lr 3e-4");
        finished["tags"]!.AsArray().Select(t => t!.GetValue<string>()).Should().Equal("baseline", "resnet");
        finished["config"]!["optimizer"]!.GetValue<string>().Should().Be("adam");
        finished["ended_at"]!.GetValue<DateTimeOffset>().Should().BeOnOrAfter(created["started_at"]!.GetValue<DateTimeOffset>());

        var renamed = await PutAsync(run, new { name = "lr 1e-3", tags = Array.Empty<string>(), status = "running" });
        renamed["tags"]!.AsArray().Should().BeEmpty("[] removes the tags");
        renamed["ended_at"].Should().BeNull("running again clears the end");
        (await _client.GetJsonAsync($"/api/v1/runs/{run}"))["name"]!.GetValue<string>().Should().Be("lr 1e-3");
    }

    [Fact]
    public async Task A_run_nobody_described_is_listed_and_read_by_its_id_with_its_first_point_as_start()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", 1, 0.5, "2097-03-01T00:00:00Z"), Point(run, "loss", 2, 0.4, "2097-03-01T00:01:00Z"));

        var read = await _client.GetJsonAsync($"/api/v1/runs/{run}");
        read["name"].Should().BeNull();
        read["status"].Should().BeNull();
        read["tags"]!.AsArray().Should().BeEmpty();
        read["started_at"]!.GetValue<DateTimeOffset>().Should().Be(DateTimeOffset.Parse("2097-03-01T00:00:00Z"));
        read["last_activity"]!.GetValue<DateTimeOffset>().Should().Be(DateTimeOffset.Parse("2097-03-01T00:01:00Z"));
        read["point_count"]!.GetValue<long>().Should().Be(2);

        // Described afterwards: the points stay, the description joins them.
        var described = await PutAsync(run, new { name = "late name" });
        described["point_count"]!.GetValue<long>().Should().Be(2);
        described["metric_names"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("loss");
        described["started_at"]!.GetValue<DateTimeOffset>().Should().Be(DateTimeOffset.Parse("2097-03-01T00:00:00Z"));

        await (await _client.GetAsync($"/api/v1/runs/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Search_tag_and_status_filters_narrow_the_list()
    {
        var group = $"g{Guid.NewGuid():N}"[..12];
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await PutAsync(a, new { name = $"{group} Alpha small", tags = new[] { group, "small" } });
        await PutAsync(b, new { name = $"{group} Beta large", tags = new[] { group, "large" }, status = "failed" });
        await PutAsync(c, new { name = $"{group} gamma small", tags = new[] { group, "small" }, status = "finished" });

        (await ListAsync($"tag={group}")).Should().BeEquivalentTo([a, b, c]);
        (await ListAsync($"tag={group}&tag=small")).Should().BeEquivalentTo([a, c], "every tag given must be present");
        (await ListAsync($"search={group.ToUpperInvariant()}%20ALPHA")).Should().Equal([a], "a name matches anywhere, in any case");
        (await ListAsync($"search={b.ToString()[..13]}")).Should().Contain(b, "an id prefix matches");
        (await ListAsync($"tag={group}&status=failed")).Should().Equal([b]);
        (await ListAsync($"search={group}&status=running")).Should().Equal([a]);
    }

    [Fact]
    public async Task Pages_follow_the_cursor_through_every_run_once()
    {
        var tag = $"p{Guid.NewGuid():N}"[..12];
        var runs = Enumerable.Range(0, 7).Select(_ => Guid.NewGuid()).ToList();
        foreach (var (run, i) in runs.Select((r, i) => (r, i)))
        {
            await PutAsync(run, new { tags = new[] { tag } });
            if (i % 2 == 0)
            {
                // Points give some of them a later activity; others tie on nothing but time of description.
                await _client.PostBatchAsync(Point(run, "loss", 1, 0.5, $"2095-01-01T00:00:0{i}Z"));
            }
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await _client.GetJsonAsync($"/api/v1/runs?tag={tag}&limit=3{(cursor is null ? "" : $"&cursor={cursor}")}");
            seen.AddRange(page["runs"]!.AsArray().Select(r => r!["run_id"]!.GetValue<Guid>()));
            cursor = page["next_cursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null && pages < 10);

        pages.Should().Be(3);
        seen.Should().BeEquivalentTo(runs).And.OnlyHaveUniqueItems();
        var all = await ListAsync($"tag={tag}&limit=1000");
        seen.Should().Equal(all, "pages continue the list's order");
        all.Take(4).Should().BeEquivalentTo([runs[0], runs[2], runs[4], runs[6]], "runs with points in 2095 are the most recent");
    }

    [Theory]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":" padded"}""", "name")]
    [InlineData("""{"name":"two\nlines"}""", "name")]
    [InlineData("""{"tags":["has space"]}""", "tags")]
    [InlineData("""{"tags":["a","a"]}""", "tags")]
    [InlineData("""{"tags":["a,b"]}""", "tags")]
    [InlineData("""{"tags":[null]}""", "tags")]
    [InlineData("""{"config":[1,2]}""", "config")]
    [InlineData("""{"config":"lr=1"}""", "config")]
    [InlineData("""{"config":{"a":1,"a":2}}""", "config")]
    [InlineData("""{"status":"done"}""", "status")]
    [InlineData("""{"started_at":"1969-12-31T00:00:00Z"}""", "started_at")]
    [InlineData("""{"started_at":"2026-01-02T00:00:00Z","ended_at":"2026-01-01T00:00:00Z"}""", "ended_at")]
    public async Task A_bad_description_is_a_400_naming_the_field_and_writes_nothing(string body, string field)
    {
        var run = Guid.NewGuid();
        var problem = await (await _client.PutAsync($"/api/v1/runs/{run}", Json(body))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(field);
        await (await _client.GetAsync($"/api/v1/runs/{run}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_config_over_64_KiB_or_nested_too_deep_is_refused_and_one_just_under_is_kept_exactly()
    {
        var run = Guid.NewGuid();
        var big = new JsonObject { ["notes"] = new string('x', 64 * 1024) };
        await (await _client.PutAsync($"/api/v1/runs/{run}", Json(new JsonObject { ["config"] = big }.ToJsonString())))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);
        await (await _client.PutAsync($"/api/v1/runs/{run}", Json($$"""{"config":{{deep}}}"""))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        var fits = new JsonObject { ["notes"] = new string('x', 60 * 1024), ["nan"] = "NaN", ["unicode"] = "lr η → 0" };
        var stored = await PutAsync(run, new JsonObject { ["config"] = fits });
        stored["config"]!.ToJsonString().Should().Be(fits.ToJsonString());
    }

    [Fact]
    public async Task A_description_over_256_KiB_is_a_413_problem_and_writes_nothing()
    {
        var run = Guid.NewGuid();
        var body = new JsonObject { ["name"] = "big", ["config"] = new JsonObject { ["notes"] = new string('x', 300 * 1024) } };

        // Over real Kestrel, which enforces the limit (the in-memory server does not).
        await using var kestrel = new ApiFactory(kestrel: true);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/runs/{run}") { Content = Json(body.ToJsonString()) };
        request.Headers.ExpectContinue = true;
        var problem = await (await kestrel.CreateClient().SendAsync(request)).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);

        problem["detail"]!.GetValue<string>().Should().Contain("262144");
        await (await _client.GetAsync($"/api/v1/runs/{run}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("status=done", "status")]
    [InlineData("tag=has%20space", "tag")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=MTIzOnh5eg", "cursor")]
    public async Task A_bad_list_filter_is_a_400_naming_it(string query, string field)
    {
        var problem = await (await _client.GetAsync($"/api/v1/runs?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal(field);
    }

    private async Task<JsonNode> PutAsync(Guid run, object body) =>
        await (await _client.PutAsync($"/api/v1/runs/{run}", Json(body))).ReadJsonAsync(HttpStatusCode.OK);

    private async Task<List<Guid>> ListAsync(string query) =>
        (await _client.GetJsonAsync($"/api/v1/runs?limit=1000&{query}"))["runs"]!.AsArray().Select(r => r!["run_id"]!.GetValue<Guid>()).ToList();
}
