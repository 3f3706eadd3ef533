using System.Text.Json.Serialization;
using Metrics.GeneratedClient;

namespace Metrics.GeneratedClient
{
    /// <summary>
    /// What a user of the generated client adds once: the service writes NaN and ±Infinity as
    /// strings (the document says so), which System.Text.Json reads only when told to.
    /// </summary>
    public partial class MetricsClient
    {
        static partial void UpdateJsonSerializerSettings(System.Text.Json.JsonSerializerOptions settings) =>
            settings.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
    }
}

namespace Metrics.Api.IntegrationTests
{
    /// <summary>
    /// The C# client NSwag generates from the build's OpenAPI document (see the project file),
    /// over real HTTP against a running service.
    /// </summary>
    [Collection(ApiCollection.Name)]
    public sealed class GeneratedCSharpClientTests(LiveFixture live) : IClassFixture<LiveFixture>, IDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = live.ClientA.BaseAddress };

        private MetricsClient Client => new(_http);

        public void Dispose() => _http.Dispose();

        [Fact]
        public async Task Writes_a_batch_and_reads_history_latest_and_stats_with_typed_numbers()
        {
            var run = Guid.NewGuid();
            var at = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

            var written = await Client.WriteMetricBatchAsync(idempotency_Key: Guid.NewGuid().ToString(), new WriteMetricBatchCommand
            {
                Metrics =
                [
                    new MetricInput { Run_id = run, Metric_name = "train/loss", Step = 1, Value = 0.5, Time = at },
                    new MetricInput { Run_id = run, Metric_name = "train/loss", Step = 2, Value = 0.25, Time = at.AddSeconds(1) },
                    new MetricInput { Run_id = run, Metric_name = "train/loss", Step = 3, Value = double.NaN, Time = at.AddSeconds(2) },
                ],
            });
            written.Inserted.Should().Be(3);

            var history = await Client.GetMetricHistoryAsync(run, "train/loss", null, null, null, null, null, SortOrder.Asc);
            history.Metrics.Select(m => m.Step).Should().Equal(1L, 2L, 3L);
            history.Metrics.Select(m => m.Value).Should().Equal(0.5, 0.25, double.NaN);
            history.Metrics.First().Time.Should().Be(at);

            var latest = await Client.GetLatestMetricAsync(run, "train/loss");
            latest.Step.Should().Be(3);
            double.IsNaN(latest.Value).Should().BeTrue();

            var stats = await Client.GetMetricStatsAsync(run, "train/loss");
            stats.Count.Should().Be(3);
            stats.Nan_count.Should().Be(1);
            stats.Min_value.Should().Be(0.25);
            stats.Max_value.Should().Be(0.5);
            stats.Avg_value.Should().Be(0.375);

            var names = await Client.GetRunMetricNamesAsync(run);
            names.Metric_names.Should().Equal("train/loss");
        }

        [Fact]
        public async Task A_bad_request_and_a_missing_series_come_back_as_typed_problems()
        {
            var bad = () => Client.WriteMetricBatchAsync(idempotency_Key: null, new WriteMetricBatchCommand
            {
                Metrics = [new MetricInput { Run_id = Guid.NewGuid(), Metric_name = "", Value = 1 }],
            });

            var validation = (await bad.Should().ThrowAsync<ApiException<ValidationProblemDetails>>()).Which;
            validation.StatusCode.Should().Be(400);
            validation.Result.Status.Should().Be(400);
            validation.Result.Errors.Should().ContainKey("metrics[0].metric_name");
            validation.Result.TraceId.Should().NotBeNullOrEmpty();

            var missing = () => Client.GetLatestMetricAsync(Guid.NewGuid(), "loss");
            var notFound = (await missing.Should().ThrowAsync<ApiException<ProblemDetails>>()).Which;
            notFound.StatusCode.Should().Be(404);
            notFound.Result.Detail.Should().Contain("has no metric 'loss'");
        }
    }
}
