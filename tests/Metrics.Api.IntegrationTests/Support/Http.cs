using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Metrics.Api.IntegrationTests.Support;

internal static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(object body) => Json(JsonSerializer.Serialize(body));

    /// <summary>A batch body; each metric is an anonymous object in the wire shape.</summary>
    public static StringContent Batch(params object[] metrics) => Json(new { metrics });

    public static object Point(Guid run, string name, long? step, object value, string? time = "2024-05-01T12:00:00Z", object? metadata = null) =>
        new Dictionary<string, object?>
        {
            ["run_id"] = run,
            ["metric_name"] = name,
            ["step"] = step,
            ["value"] = value,
            ["time"] = time,
            ["metadata"] = metadata,
        };

    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, body);
        return JsonNode.Parse(body)!;
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.GetAsync(url)).ReadJsonAsync(expected);

    public static async Task<JsonNode> PostBatchAsync(this HttpClient client, params object[] metrics) =>
        await (await client.PostAsync("/api/v1/metrics/batch", Batch(metrics))).ReadJsonAsync(HttpStatusCode.Created);

    /// <summary>Asserts an RFC 9457 problem with the given status and returns it.</summary>
    public static async Task<JsonNode> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json", body);
        var problem = JsonNode.Parse(body)!;
        problem["status"]!.GetValue<int>().Should().Be((int)status);
        problem["title"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
        (problem["traceId"]?.GetValue<string>()).Should().NotBeNullOrWhiteSpace("every problem carries its trace id as traceId");
        body.Should().NotContain("   at ", "no stack trace reaches the client");
        return problem;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body);
}
