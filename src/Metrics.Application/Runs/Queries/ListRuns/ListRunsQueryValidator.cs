using FluentValidation;

namespace Metrics.Application.Runs.Queries.ListRuns;

internal sealed class ListRunsQueryValidator : AbstractValidator<ListRunsQuery>
{
    public ListRunsQueryValidator() =>
        RuleFor(q => q.Limit)
            .InclusiveBetween(1, ListRunsQuery.MaxLimit)
            .WithMessage($"'limit' must be between 1 and {ListRunsQuery.MaxLimit}.");
}
