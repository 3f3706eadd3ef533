namespace Metrics.Application.Common.Behaviours;

/// <summary>A request that touches runs: a key bound to a project may only touch its project's runs.</summary>
public interface IRunScoped
{
    IEnumerable<Guid> RunIds { get; }

    /// <summary>True for writes: a new run (no points, no project) joins the writing key's project.</summary>
    bool ClaimsNewRuns => false;
}
