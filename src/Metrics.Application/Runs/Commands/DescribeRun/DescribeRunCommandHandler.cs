namespace Metrics.Application.Runs.Commands.DescribeRun;

internal sealed class DescribeRunCommandHandler(IRunCatalog runs, ICaller caller) : ICommandHandler<DescribeRunCommand, RunDto>
{
    public async ValueTask<RunDto> Handle(DescribeRunCommand command, CancellationToken cancellationToken)
    {
        var body = command.Body!;
        var description = new RunDescription(
            command.RunId,
            body.Name,
            body.Tags?.Select(t => t!).ToList(),
            body.Config is { ValueKind: not System.Text.Json.JsonValueKind.Null } config ? config.GetRawText() : null,
            body.Status,
            body.StartedAt?.UtcDateTime,
            body.EndedAt?.UtcDateTime);
        await runs.DescribeAsync(description, RunClaim.For(caller.Project, [command.RunId]), cancellationToken);
        return RunDto.From((await runs.GetAsync(command.RunId, cancellationToken))!);
    }
}
