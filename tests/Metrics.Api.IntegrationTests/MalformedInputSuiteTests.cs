using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// Well over 1,000 generated malformed requests over real HTTP, across every operation of the
/// OpenAPI document: wrong types, huge numbers, deep JSON, invalid UTF-8, oversize bodies and
/// headers, path injection, SQL-looking names, and byte-level corruption of valid bodies. Every
/// answer must be a 4xx problem (431 comes from Kestrel itself, before any middleware, without a
/// body), nothing is written, and the service stays healthy with flat memory.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class MalformedInputSuiteTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly Guid Run = Guid.NewGuid();
    private readonly ApiFactory _api = new(kestrel: true, settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys", ["RATE_LIMIT_REQUESTS"] = "0", ["RATE_LIMIT_METRICS"] = "0" });
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _api.CreateClient((await _api.CreateKeyAsync(["admin"])).Key);
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task Every_malformed_request_is_a_4xx_problem_and_the_service_stays_healthy()
    {
        var document = await _client.GetJsonAsync("/openapi/v1.json");
        var cases = Generate(document).ToList();
        cases.Should().HaveCountGreaterThanOrEqualTo(1000);
        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        foreach (var batch in cases.Chunk(8))
        {
            await Task.WhenAll(batch.Select(async c =>
            {
                var (status, problem, body) = await SendAsync(c);
                lock (statuses)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (status is < 400 or >= 500 || !(problem || (c.Kestrel && body.Length == 0)))
                    {
                        failures.Add($"{c.Label}: {status} {body[..Math.Min(body.Length, 300)]}");
                    }
                }
            }));
        }

        failures.Should().BeEmpty($"every one of {cases.Count} malformed requests gets a 4xx problem (statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}); failed:\n{string.Join("\n", failures.Take(50))}\n");
        output.WriteLine($"{cases.Count} malformed requests: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}");
        (await _client.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await Db.Postgres.CountMetricsAsync(Run)).Should().Be(0, "bad input writes nothing");
        (await Db.Postgres.CountSystemMetricsAsync(Run)).Should().Be(0);
        GC.Collect();
        var growth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;
        output.WriteLine($"managed memory of the test process (service included) grew by {growth / 1024} KiB");
        growth.Should().BeLessThan(64L << 20, "memory stays flat");
    }

    /// <param name="Kestrel">Refused by Kestrel itself, before any middleware: a 4xx without a body.</param>
    private sealed record Case(string Label, HttpMethod Method, string Url, byte[]? Body, string ContentType = "application/json", (string Name, string Value)? Header = null, bool Kestrel = false);

    private static IEnumerable<Case> Generate(JsonNode document)
    {
        // (The empty UUID and names like "../.." are well formed: reads of them are empty, not errors.)
        string[] badRuns = ["not-a-uuid", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%3Cscript%3E", "1'%20OR%20'1'%3D'1", new string('9', 5000), "%F0%9F%92%A9", "{run_id}", "1'%20OR%20'1'%3D'1--"];
        string[] badNames = ["loss%27%3B%20DROP%20TABLE%20metrics%3B--", "..%5C..%5Cwin.ini", new string('a', 300), "%20loss", "loss%7C", "a%22b", "%3Cscript%3E", "x%3Bdelete"];
        var badQueryValues = new Dictionary<string, string[]>
        {
            // ("0x10" is not here: ASP.NET Core's binder reads it as 16.)
            ["integer"] = ["abc", "1.5", "1e3", "99999999999999999999999", "-1", "1,000"],
            ["date-time"] = ["yesterday", "2024-13-45T99:00:00Z", "1714564800x", "2024-05-01T12:00:00Z'%20OR%201=1"],
            ["string"] = ["sideways", "%27%3B--", new string('z', 300)],
        };

        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var verb = new HttpMethod(method.ToUpperInvariant());
                string Fill(string runId = "5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11", string name = "loss") =>
                    path.Replace("{run_id}", runId).Replace("{metric_name}", name).Replace("{key_id}", runId);
                var body = verb == HttpMethod.Post ? Encoding.UTF8.GetBytes("{}") : null;

                // Path injection; POSTs get an empty object, which is itself invalid.
                if (path.Contains("{run_id}") || path.Contains("{key_id}"))
                {
                    foreach (var bad in badRuns)
                    {
                        yield return new($"{method} {path} run {bad[..Math.Min(20, bad.Length)]}", verb, Fill(runId: bad), body);
                    }

                    // A NUL in the path: Kestrel refuses the request line itself.
                    yield return new($"{method} {path} run %00", verb, Fill(runId: "%00"), body, Kestrel: true);
                }

                if (path.Contains("{metric_name}"))
                {
                    foreach (var bad in badNames)
                    {
                        yield return new($"{method} {path} name {bad[..Math.Min(20, bad.Length)]}", verb, Fill(name: bad), body);
                    }
                }

                // Every query parameter with values of the wrong type or out of range.
                foreach (var parameter in operation!["parameters"]?.AsArray() ?? [])
                {
                    if (parameter!["in"]!.GetValue<string>() != "query")
                    {
                        continue;
                    }

                    var name = parameter["name"]!.GetValue<string>();
                    var schema = parameter["schema"];
                    var kind = schema?["format"]?.GetValue<string>() == "date-time" ? "date-time"
                        : schema?["type"]?.ToJsonString().Contains("integer", StringComparison.Ordinal) == true ? "integer"
                        : "string";
                    var values = name switch
                    {
                        "run_ids" => ["x,y", "5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11,%27", ""],
                        "metric_names" => ["a,%27%3B", ",,"],
                        "metric_type" => ["cpu%27--", "gpu_util%3B"],
                        "metric_name" => ["%27%3B--", new string('z', 300), "a%3Cb"],
                        // Free text: any short text is a search, and "';--" a well-formed tag.
                        "search" => [new string('z', 300), "a%00b"],
                        "tag" => ["has%20space", "a,b", new string('z', 300), "%E2%80%AEevil"],
                        "limit" or "points" => [.. badQueryValues["integer"], "0", "10001"],
                        _ => badQueryValues[kind],
                    };
                    foreach (var value in values)
                    {
                        var required = path.StartsWith("/api/v1/metrics/{metric_name}", StringComparison.Ordinal) && name != "run_ids" ? "&run_ids=5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11" : string.Empty;
                        yield return new($"{method} {path} ?{name}={value[..Math.Min(20, value.Length)]}", verb, $"{Fill()}?{name}={value}{required}", body);
                    }
                }
            }
        }

        foreach (var c in BodyCases("/api/v1/metrics/batch", MetricJson, ["run_id", "metric_name", "step", "value", "time", "metadata"]))
        {
            yield return c;
        }

        foreach (var c in BodyCases("/api/v1/metrics/system/batch", SystemJson, ["run_id", "metric_type", "value", "time", "metadata"]))
        {
            yield return c;
        }

        // Admin bodies, and a few headers.
        foreach (var json in new[] { "{\"name\":\"\",\"scopes\":[\"admin\"]}", "{\"name\":\"x\",\"scopes\":[]}", "{\"name\":\"x\",\"scopes\":[\"root\"]}", "{\"name\":\"x\",\"scopes\":\"admin\"}", "{\"name\":\"x\",\"scopes\":[\"admin\"],\"project\":\"../x\"}", "[]", "nul" })
        {
            yield return new($"admin {json}", HttpMethod.Post, "/api/v1/admin/keys", Encoding.UTF8.GetBytes(json));
        }

        yield return new("oversize header", HttpMethod.Get, "/api/v1/runs", null, Header: ("X-Filler", new string('h', 70_000)), Kestrel: true);
        yield return new("idempotency key too long", HttpMethod.Post, "/api/v1/metrics/batch", Encoding.UTF8.GetBytes(MetricJson("\"x\"", "value")), Header: ("Idempotency-Key", new string('k', 300)));
    }

    private static string MetricJson(string replacement, string field)
    {
        var fields = new Dictionary<string, string>
        {
            ["run_id"] = $"\"{Run}\"",
            ["metric_name"] = "\"loss\"",
            ["step"] = "1",
            ["value"] = "0.5",
            ["time"] = "\"2024-05-01T12:00:00Z\"",
            ["metadata"] = "{\"lr\":0.1}",
        };
        fields[field] = replacement;
        return "{\"metrics\":[{" + string.Join(',', fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}]}";
    }

    private static string SystemJson(string replacement, string field)
    {
        var fields = new Dictionary<string, string>
        {
            ["run_id"] = $"\"{Run}\"",
            ["metric_type"] = "\"cpu\"",
            ["value"] = "1.5",
            ["time"] = "\"2024-05-01T12:00:00Z\"",
            ["metadata"] = "{\"gpu\":0}",
        };
        fields[field] = replacement;
        return "{\"metrics\":[{" + string.Join(',', fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}]}";
    }

    private static IEnumerable<Case> BodyCases(string url, Func<string, string, string> body, string[] fields)
    {
        // Each field with values of the wrong type, out of range, or absurd.
        string[] bad =
        [
            "\"abc\"", "123", "true", "null", "[]", "{}", "1e400", "-1e400", "99999999999999999999999999", "-1", "\"\"", "\"'; DROP TABLE metrics;--\"",
            "\"nan\"", "\"1\"", "1.5e308e3", "\"2024-13-45T99:99:99Z\"", "\"\\u0000\"", $"\"{new string('x', 5000)}\"", "\"00000000-0000-0000-0000-000000000000\"",
            "{\"a\":" + string.Concat(Enumerable.Repeat("[", 200)) + string.Concat(Enumerable.Repeat("]", 200)) + "}", $"{{\"big\":\"{new string('m', 5000)}\"}}",
        ];
        foreach (var field in fields)
        {
            foreach (var value in bad)
            {
                var json = body(value, field);
                // Some replacements are valid for some fields (a null step, time or metadata; any number as a
                // value; an empty object as metadata; a name of letters and digits): those are skipped.
                var fine = field switch
                {
                    "step" => value is "null" or "123",
                    "time" => value == "null",
                    "metadata" => value is "null" or "{}",
                    "value" => value is "123" or "-1" or "99999999999999999999999999" or "1e400" or "-1e400",
                    "metric_name" => value is "\"abc\"" or "\"nan\"" or "\"1\"" or "\"00000000-0000-0000-0000-000000000000\"",
                    _ => false,
                };
                if (fine)
                {
                    continue;
                }

                yield return new($"{url} {field}={value[..Math.Min(20, value.Length)]}", HttpMethod.Post, url, Encoding.UTF8.GetBytes(json));
            }
        }

        var valid = body("\"" + Run + "\"", "run_id");
        string[] whole =
        [
            "", "null", "[]", "{", "{\"metrics\":null}", "{\"metrics\":{}}", "{\"metrics\":[null]}", "{\"metrics\":[1]}", "{\"metrics\":\"x\"}",
            string.Concat(Enumerable.Repeat("[", 10_000)), "{\"metrics\":[" + string.Join(',', Enumerable.Repeat(valid[12..^2], 1001)) + "]}",
        ];
        foreach (var json in whole)
        {
            yield return new($"{url} body {json[..Math.Min(20, json.Length)]}", HttpMethod.Post, url, Encoding.UTF8.GetBytes(json));
        }

        yield return new($"{url} invalid UTF-8", HttpMethod.Post, url, [.. Encoding.UTF8.GetBytes(valid[..20]), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(valid[20..])]);
        yield return new($"{url} text/plain", HttpMethod.Post, url, Encoding.UTF8.GetBytes(valid), "text/plain");
        yield return new($"{url} 5 MB", HttpMethod.Post, url, Encoding.UTF8.GetBytes("{\"metrics\":[\"" + new string('p', 5 << 20) + "\"]}"));

        // Byte-level corruption of a valid body without metadata (free text there stays valid): one
        // character that cannot stand where it lands. Not inside the keys of optional fields ("step",
        // "time"), whose misspelling only leaves the field out.
        var plain = body("null", "metadata").Replace(",\"metadata\":null", string.Empty, StringComparison.Ordinal);
        var optionalKeys = new[] { "\"step\"", "\"time\"" }.Select(k => plain.IndexOf(k, StringComparison.Ordinal)).Where(i => i >= 0).ToList();
        var random = new Random(url.Length);
        var poison = "{}[\"';\u0001<";
        for (var i = 0; i < 300; i++)
        {
            var at = random.Next(1, plain.Length - 1);
            if (optionalKeys.Any(k => at > k && at < k + 6))
            {
                continue;
            }

            var json = plain.Insert(at, poison[random.Next(poison.Length)].ToString());
            yield return new($"{url} corrupt@{at}", HttpMethod.Post, url, Encoding.UTF8.GetBytes(json));
        }
    }

    private async Task<(int Status, bool Problem, string Body)> SendAsync(Case c)
    {
        using var request = new HttpRequestMessage(c.Method, c.Url);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(c.ContentType);
        }

        // The client waits for the server's go-ahead, so an early 413 is read rather than cut off mid-upload.
        request.Headers.ExpectContinue = c.Body is { Length: > 1 << 20 };
        if (c.Header is { } header)
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        try
        {
            using var response = await _client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                && JsonNode.Parse(body)?["status"]?.GetValue<int>() == (int)response.StatusCode
                && !body.Contains("   at ", StringComparison.Ordinal);
            return ((int)response.StatusCode, problem, body);
        }
        catch (HttpRequestException e)
        {
            return (0, false, $"connection failed: {e.Message}");
        }
    }
}
