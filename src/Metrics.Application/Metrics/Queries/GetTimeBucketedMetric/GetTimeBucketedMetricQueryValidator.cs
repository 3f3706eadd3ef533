using Metrics.Application.Common;

namespace Metrics.Application.Metrics.Queries.GetTimeBucketedMetric;

internal sealed class GetTimeBucketedMetricQueryValidator : AbstractValidator<GetTimeBucketedMetricQuery>
{
    public GetTimeBucketedMetricQueryValidator()
    {
        RuleFor(q => q.MetricName).ValidMetricName();
        RuleFor(q => q.Points).InclusiveBetween(1, GetTimeBucketedMetricQuery.MaxPoints);
        RuleFor(q => q.EndTime)
            .GreaterThanOrEqualTo(q => q.StartTime)
            .When(q => q.StartTime is not null && q.EndTime is not null)
            .WithMessage("'end_time' must not be before 'start_time'.");
    }
}
