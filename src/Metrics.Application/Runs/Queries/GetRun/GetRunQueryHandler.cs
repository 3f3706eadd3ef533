using Metrics.Application.Common.Exceptions;

namespace Metrics.Application.Runs.Queries.GetRun;

internal sealed class GetRunQueryHandler(IRunCatalog runs) : IQueryHandler<GetRunQuery, RunDto>
{
    public async ValueTask<RunDto> Handle(GetRunQuery query, CancellationToken cancellationToken) =>
        await runs.GetAsync(query.RunId, cancellationToken) is { } run
            ? RunDto.From(run)
            : throw new NotFoundException($"Run {query.RunId} was never described or written to.");
}
