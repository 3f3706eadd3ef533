using Metrics.Domain.Keys;

namespace Metrics.Application.Keys.Commands.CreateApiKey;

internal sealed partial class CreateApiKeyCommandValidator : AbstractValidator<CreateApiKeyCommand>
{
    public CreateApiKeyCommandValidator()
    {
        RuleFor(c => c.Name).Must(ApiKey.IsValidName)
            .WithMessage($"'name' must be 1–{ApiKey.MaxNameLength} printable characters without control, format or line-separator characters or edge spaces.");
        RuleFor(c => c.Scopes).NotEmpty().WithMessage("'scopes' must name at least one of: " + string.Join(", ", ApiScopes.All) + ".");
        RuleForEach(c => c.Scopes)
            .Must(ApiScopes.IsKnown)
            .WithMessage("'{PropertyValue}' is not a scope; use " + string.Join(", ", ApiScopes.All) + ".");
        RuleFor(c => c.Project)
            .Matches(ProjectName())
            .When(c => c.Project is not null)
            .WithMessage("'project' must be 1–64 letters, digits, '.', '_' or '-'.");
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex ProjectName();
}
