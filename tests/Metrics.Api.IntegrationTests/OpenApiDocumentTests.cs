using System.Text.Json.Nodes;

namespace Metrics.Api.IntegrationTests;

/// <summary>The OpenAPI document: what client generators rely on.</summary>
[Collection(ApiCollection.Name)]
public sealed class OpenApiDocumentTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static readonly string BuildTimeDocument = Path.GetFullPath(Path.Combine(
        AppContext.BaseDirectory, "../../../../../src/Metrics.Api/obj/openapi/openapi.json"));

    private async Task<JsonNode> DocumentAsync() => await _client.GetJsonAsync("/openapi/v1.json");

    private static IEnumerable<(string Path, string Method, JsonNode Operation)> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Select(op => (path.Key, op.Key, op.Value!)));

    [Fact]
    public async Task The_document_served_is_the_one_the_build_wrote()
    {
        File.Exists(BuildTimeDocument).Should().BeTrue("building Metrics.Api writes the document");
        var served = await DocumentAsync();
        var built = JsonNode.Parse(await File.ReadAllTextAsync(BuildTimeDocument))!;
        served.AsObject().Remove("servers");
        built.AsObject().Remove("servers");

        JsonNode.DeepEquals(served, built).Should().BeTrue();
    }

    [Fact]
    public async Task Every_operation_has_a_name_and_answers_errors_with_problem_details()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).ToList();

        operations.Should().HaveCountGreaterThanOrEqualTo(11);
        operations.Select(o => o.Operation["operationId"]?.GetValue<string>()).Should().OnlyHaveUniqueItems().And.NotContainNulls();
        operations.Select(o => o.Operation["operationId"]!.GetValue<string>()).Should().Contain(
            ["WriteMetricBatch", "GetMetricHistory", "GetLatestMetric", "GetMetricStats", "GetDownsampledMetric", "ListRuns", "GetRunMetricNames"]);
        foreach (var (path, method, operation) in operations)
        {
            var responses = operation["responses"]!.AsObject();
            responses.Select(r => r.Key).Should().Contain(["400", "500", "503"], $"{method} {path}");
            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                var content = response!["content"]!.AsObject();
                content.Select(c => c.Key).Should().Equal(["application/problem+json"], $"{method} {path} {status}");
                content["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>()
                    .Should().EndWith("ProblemDetails", $"{method} {path} {status}");
            }
        }
    }

    [Fact]
    public async Task Schemas_use_wire_names_number_types_and_the_named_float_encoding()
    {
        var schemas = (await DocumentAsync())["components"]!["schemas"]!;

        var metric = schemas["MetricDto"]!;
        metric["properties"]!.AsObject().Select(p => p.Key).Should().Equal("run_id", "metric_name", "step", "value", "time", "metadata");
        metric["properties"]!["step"]!["type"]!.AsArray().Select(t => t!.GetValue<string>()).Should().BeEquivalentTo("integer", "null");
        metric["properties"]!["step"]!["format"]!.GetValue<string>().Should().Be("int64");
        var value = metric["properties"]!["value"]!;
        value["type"]!.AsArray().Select(t => t!.GetValue<string>()).Should().BeEquivalentTo("number", "string");
        value["pattern"]!.GetValue<string>().Should().Be("^(NaN|Infinity|-Infinity)$");
        value["format"]!.GetValue<string>().Should().Be("double");

        var input = schemas["MetricInput"]!;
        input["required"]!.AsArray().Select(r => r!.GetValue<string>()).Should().BeEquivalentTo("run_id", "metric_name", "value");
        input["properties"]!["run_id"]!["type"]!.GetValue<string>().Should().Be("string", "a required field is never null");
        schemas["StepBucketDto"]!["properties"]!["min"]!["type"]!.AsArray().Select(t => t!.GetValue<string>())
            .Should().BeEquivalentTo("number", "string", "null");
        schemas["ProblemDetails"]!["properties"]!.AsObject().Select(p => p.Key).Should().Contain("traceId");
    }

    [Fact]
    public async Task Scalar_serves_a_page_for_trying_requests()
    {
        var response = await _client.GetAsync("/scalar/");
        var html = await response.Content.ReadAsStringAsync();

        response.IsSuccessStatusCode.Should().BeTrue(html);
        html.Should().Contain("\"url\":\"openapi/v1.json\"", "the page loads our document (resolved from the site root)");
        (await _client.GetAsync("/scalar/scalar.js")).IsSuccessStatusCode.Should().BeTrue("the page's script is served locally, not from a CDN");
    }
}
