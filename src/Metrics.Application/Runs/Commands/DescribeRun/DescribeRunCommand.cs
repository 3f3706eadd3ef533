using System.Text.Json;

namespace Metrics.Application.Runs.Commands.DescribeRun;

/// <summary>Create or update a run's description; what <see cref="Body"/> leaves out (or sets to null) stays as it was.</summary>
public sealed record DescribeRunCommand(Guid RunId, RunDescriptionBody? Body) : ICommand<RunDto>, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    bool IRunScoped.ClaimsNewRuns => true;
}

/// <summary>A run's description as PUT.</summary>
/// <param name="Name">Display name, shown instead of the id.</param>
/// <param name="Tags">Replaces the run's tags; [] removes them all.</param>
/// <param name="Config">Hyper-parameters: a JSON object (at most 64 KiB); replaces the stored one.</param>
/// <param name="Status">running (the default for a new run), finished or failed.</param>
/// <param name="StartedAt">Defaults to the time of the run's first point, or else to when it was first described.</param>
/// <param name="EndedAt">Defaults to now when the status becomes finished or failed; cleared when it becomes running again.</param>
public sealed record RunDescriptionBody(
    string? Name,
    IReadOnlyList<string?>? Tags,
    JsonElement? Config,
    string? Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt);
