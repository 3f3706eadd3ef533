using Metrics.Application.Common.Exceptions;

namespace Metrics.Application.Common.Behaviours;

/// <summary>
/// Refuses (403) a request of a project-bound key that touches a run of another project, or of none.
/// Runs after validation (run ids are well formed) and before the cache (nothing cached is served
/// to a caller who may not see it).
/// </summary>
internal sealed class ProjectScopeBehaviour<TMessage, TResponse>(ICaller caller, IRunProjects projects) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message is IRunScoped scoped && caller.Project is { } project)
        {
            var runs = scoped.RunIds.Distinct().ToList();
            if (runs.Count > 0 && await projects.ForeignRunsAsync(runs, project, scoped.ClaimsNewRuns, cancellationToken) is [var first, ..] foreign)
            {
                throw new ForbiddenException(
                    $"This API key is bound to project '{project}'; run {first} is not in it{(foreign.Count > 1 ? $" (nor are {foreign.Count - 1} more)" : string.Empty)}. Nothing was written or read.");
            }
        }

        return await next(message, cancellationToken);
    }
}
