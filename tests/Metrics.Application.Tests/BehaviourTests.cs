using Mediator;
using Metrics.Application.Common;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Metrics.Queries.GetMetricHistory;
using Moq;

namespace Metrics.Application.Tests;

public sealed class BehaviourTests
{
    private static readonly Guid Run = Guid.NewGuid();

    [Fact]
    public async Task Caching_behaviour_hands_the_query_key_and_tags_to_the_cache()
    {
        var cache = new Mock<IQueryCache>();
        var query = new GetMetricHistoryQuery(Run, "loss", 5, null, null, null, null, null);
        var cached = new MetricHistoryResponse(Run, "loss", [], 0);
        cache.Setup(c => c.GetOrCreateAsync(query.CacheKey, query.DependsOn, It.IsAny<Func<CancellationToken, ValueTask<MetricHistoryResponse>>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(cached);
        var behaviour = new CachingBehaviour<GetMetricHistoryQuery, MetricHistoryResponse>(cache.Object);
        var handlerCalled = false;

        var result = await behaviour.Handle(query, (_, _) => { handlerCalled = true; return default; }, CancellationToken.None);

        result.Should().BeSameAs(cached);
        handlerCalled.Should().BeFalse("a hit never reaches the handler");
    }

    [Fact]
    public async Task Validation_behaviour_reports_every_failure_and_stops_the_pipeline()
    {
        ValidationConventions.Apply();
        var behaviour = new ValidationBehaviour<GetMetricHistoryQuery, MetricHistoryResponse>([new GetMetricHistoryQueryValidator()]);
        var reached = false;
        MessageHandlerDelegate<GetMetricHistoryQuery, MetricHistoryResponse> next = (_, _) => { reached = true; return default; };

        var act = async () => await behaviour.Handle(new GetMetricHistoryQuery(Run, "x;y", 0, null, null, null, null, "up"), next, CancellationToken.None);

        (await act.Should().ThrowAsync<FluentValidation.ValidationException>())
            .Which.Errors.Select(e => e.PropertyName).Should().BeEquivalentTo(["limit", "order", "metric_name"]);
        reached.Should().BeFalse();
    }
}
