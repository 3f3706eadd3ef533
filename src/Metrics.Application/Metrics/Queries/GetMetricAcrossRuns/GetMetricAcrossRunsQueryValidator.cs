using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;

internal sealed class GetMetricAcrossRunsQueryValidator : AbstractValidator<GetMetricAcrossRunsQuery>
{
    public GetMetricAcrossRunsQueryValidator()
    {
        Include(new RangeQueryValidator());
        RuleFor(q => q.MetricName).ValidMetricName();
        RuleFor(q => q.RunIds)
            .Must(r => r.Count is > 0 and <= GetMetricAcrossRunsQuery.MaxRuns)
            .WithMessage($"'run_ids' lists 1 to {GetMetricAcrossRunsQuery.MaxRuns} run ids.")
            .Must(r => !r.Contains(Guid.Empty))
            .WithMessage("'run_ids' must not contain the nil UUID.")
            .Must((q, _) => q.MaxPoints <= RangeQuery.MaxPointsPerResponse)
            .WithMessage(RangeQuery.TooManyPointsMessage("run_ids"));
    }
}
