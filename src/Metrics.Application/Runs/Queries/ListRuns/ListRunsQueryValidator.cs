using Metrics.Domain.Runs;

namespace Metrics.Application.Runs.Queries.ListRuns;

internal sealed class ListRunsQueryValidator : AbstractValidator<ListRunsQuery>
{
    public ListRunsQueryValidator()
    {
        RuleFor(q => q.Limit)
            .InclusiveBetween(1, ListRunsQuery.MaxLimit)
            .WithMessage($"'limit' must be between 1 and {ListRunsQuery.MaxLimit}.");
        RuleFor(q => q.Search)
            .Must(s => s!.Length <= ListRunsQuery.MaxSearchLength && !s.Contains('\0'))
            .WithMessage($"'search' is at most {ListRunsQuery.MaxSearchLength} characters, without NUL.")
            .When(q => q.Search is not null);
        RuleFor(q => q.Tags)
            .Must(t => t!.Count <= RunRules.MaxTags && t.All(RunRules.IsValidTag))
            .WithMessage($"'tag' is 1-{RunRules.MaxTagLength} characters without spaces, commas or control characters, given at most {RunRules.MaxTags} times.")
            .When(q => q.Tags is not null)
            .OverridePropertyName("tag");
        RuleFor(q => q.Status)
            .Must(RunRules.IsValidStatus)
            .WithMessage(DescribeRunMessages.Status)
            .When(q => q.Status is not null);
        RuleFor(q => q.Cursor)
            .Must(c => RunCursor.TryParse(c, out _))
            .WithMessage("'cursor' is not a cursor this service gave out (use next_cursor from the previous page).")
            .When(q => q.Cursor is not null);
    }
}
