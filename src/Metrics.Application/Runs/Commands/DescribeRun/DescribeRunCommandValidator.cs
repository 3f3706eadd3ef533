using Metrics.Application.Common;
using Metrics.Domain.Runs;
using Microsoft.Extensions.Options;

namespace Metrics.Application.Runs.Commands.DescribeRun;

internal sealed class DescribeRunCommandValidator : AbstractValidator<DescribeRunCommand>
{
    public DescribeRunCommandValidator(IOptions<IngestOptions> options, TimeProvider clock)
    {
        RuleFor(c => c.RunId).NotEqual(Guid.Empty).WithMessage(ValidationRules.RunIdNilMessage);
        RuleFor(c => c.Body).NotNull().WithMessage("A JSON object describing the run is required (fields: name, tags, config, status, started_at, ended_at).");
        When(c => c.Body is not null, () =>
        {
            var allowance = options.Value.FutureAllowance;
            RuleFor(c => c.Body!.Name).Must(RunRules.IsValidName).WithMessage(DescribeRunMessages.Name).When(c => c.Body!.Name is not null)
                .OverridePropertyName("name");
            RuleFor(c => c.Body!.Tags)
                .Must(t => t!.Count <= RunRules.MaxTags && t.All(RunRules.IsValidTag) && t.Distinct(StringComparer.Ordinal).Count() == t.Count)
                .WithMessage(DescribeRunMessages.Tags + " Each tag once.")
                .When(c => c.Body!.Tags is not null)
                .OverridePropertyName("tags");
            RuleFor(c => c.Body!.Config)
                .Must(c => c!.Value.ValueKind is System.Text.Json.JsonValueKind.Object && MetadataRules.IsStorableObject(c, RunRules.MaxConfigBytes))
                .WithMessage(DescribeRunMessages.Config)
                .When(c => c.Body!.Config is { ValueKind: not System.Text.Json.JsonValueKind.Null })
                .OverridePropertyName("config");
            RuleFor(c => c.Body!.Status).Must(RunRules.IsValidStatus).WithMessage(DescribeRunMessages.Status).When(c => c.Body!.Status is not null)
                .OverridePropertyName("status");
            var timeMessage = ValidationRules.PointTimeMessage(allowance);
            RuleFor(c => c.Body!.StartedAt).Must(t => ValidationRules.IsValidPointTime(t, clock.GetUtcNow() + allowance))
                .WithMessage(timeMessage.Replace("'time'", "'started_at'", StringComparison.Ordinal)).OverridePropertyName("started_at");
            RuleFor(c => c.Body!.EndedAt).Must(t => ValidationRules.IsValidPointTime(t, clock.GetUtcNow() + allowance))
                .WithMessage(timeMessage.Replace("'time'", "'ended_at'", StringComparison.Ordinal)).OverridePropertyName("ended_at");
            RuleFor(c => c.Body!.EndedAt)
                .Must((c, end) => end >= c.Body!.StartedAt)
                .WithMessage("'ended_at' must not be before 'started_at'.")
                .When(c => c.Body!.StartedAt is not null && c.Body!.EndedAt is not null)
                .OverridePropertyName("ended_at");
        });
    }
}
