using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Exceptions;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Application.Metrics.Queries.GetMetricStats;
using Moq;

namespace Metrics.Application.Tests;

public sealed class ProjectScopeTests
{
    private static readonly Guid Run = Guid.NewGuid();

    private static Mock<ICaller> Caller(string? project)
    {
        var caller = new Mock<ICaller>();
        caller.Setup(c => c.Project).Returns(project);
        return caller;
    }

    [Fact]
    public async Task A_key_without_a_project_is_never_checked()
    {
        var projects = new Mock<IRunProjects>(MockBehavior.Strict);
        var behaviour = new ProjectScopeBehaviour<GetMetricStatsQuery, MetricStatsDto>(Caller(null).Object, projects.Object);
        var reached = false;

        await behaviour.Handle(new GetMetricStatsQuery(Run, "loss"), (_, _) => { reached = true; return default; }, CancellationToken.None);

        reached.Should().BeTrue();
    }

    [Fact]
    public async Task A_read_of_another_projects_run_is_refused_before_the_handler_and_claims_nothing()
    {
        var projects = new Mock<IRunProjects>();
        projects.Setup(p => p.ForeignRunsAsync(It.Is<IReadOnlyCollection<Guid>>(r => r.Single() == Run), "alpha", false, It.IsAny<CancellationToken>()))
            .ReturnsAsync([Run]);
        var behaviour = new ProjectScopeBehaviour<GetMetricStatsQuery, MetricStatsDto>(Caller("alpha").Object, projects.Object);
        var reached = false;

        var act = async () => await behaviour.Handle(new GetMetricStatsQuery(Run, "loss"), (_, _) => { reached = true; return default; }, CancellationToken.None);

        (await act.Should().ThrowAsync<ForbiddenException>()).Which.Message.Should().Contain("alpha").And.Contain(Run.ToString());
        reached.Should().BeFalse();
    }

    [Fact]
    public async Task A_write_asks_once_for_its_distinct_runs_and_may_claim_them()
    {
        var other = Guid.NewGuid();
        var projects = new Mock<IRunProjects>();
        projects.Setup(p => p.ForeignRunsAsync(It.IsAny<IReadOnlyCollection<Guid>>(), "alpha", true, It.IsAny<CancellationToken>())).ReturnsAsync([]);
        var behaviour = new ProjectScopeBehaviour<WriteMetricBatchCommand, BatchWriteResult>(Caller("alpha").Object, projects.Object);
        var command = new WriteMetricBatchCommand([
            new MetricInput(Run, "loss", 1, 0.5, null, null), new MetricInput(Run, "acc", 1, 0.5, null, null), new MetricInput(other, "loss", 1, 0.5, null, null)]);

        await behaviour.Handle(command, (_, _) => default, CancellationToken.None);

        projects.Verify(p => p.ForeignRunsAsync(It.Is<IReadOnlyCollection<Guid>>(r => r.Count == 2 && r.Contains(Run) && r.Contains(other)), "alpha", true, It.IsAny<CancellationToken>()), Times.Once);
    }
}
