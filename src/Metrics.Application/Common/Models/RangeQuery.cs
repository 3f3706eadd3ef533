using System.Globalization;
using Metrics.Domain.Common;

namespace Metrics.Application.Common.Models;

/// <summary>The filters shared by every history-style read (time range, step range, limit, order).</summary>
public interface IRangeQuery
{
    int Limit { get; }

    DateTimeOffset? StartTime { get; }

    DateTimeOffset? EndTime { get; }

    long? MinStep { get; }

    long? MaxStep { get; }

    /// <summary>"desc" (newest first, the default) or "asc".</summary>
    string? Order { get; }
}

public static class RangeQuery
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10_000;

    /// <summary>
    /// The most points one response may hold, over all its series ('limit' applies per series):
    /// about 6 MB of JSON. Reads that could return more are refused (400) rather than cut.
    /// </summary>
    public const int MaxPointsPerResponse = 50_000;

    /// <summary>Answers that may hold more points than this are not cached (each would be megabytes in Redis).</summary>
    public const int MaxCachedPoints = 10_000;

    public static string TooManyPointsMessage(string list) =>
        $"'{list}' × 'limit' may ask for at most {MaxPointsPerResponse:N0} points per response; lower 'limit' or name fewer.";

    public static PointRange ToPointRange(this IRangeQuery query) => new(
        query.Limit,
        query.StartTime is { } start ? DomainTime.Normalize(start) : null,
        query.EndTime is { } end ? DomainTime.Normalize(end) : null,
        query.MinStep,
        query.MaxStep,
        string.Equals(query.Order, "asc", StringComparison.OrdinalIgnoreCase));

    /// <summary>A cache-key fragment naming every filter, after normalisation, so equal reads share an entry.</summary>
    public static string ToCacheKey(this IRangeQuery query)
    {
        var range = query.ToPointRange();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{range.Limit}|{range.StartTime?.Ticks}|{range.EndTime?.Ticks}|{range.MinStep}|{range.MaxStep}|{(range.Ascending ? 'a' : 'd')}");
    }
}

internal sealed class RangeQueryValidator : AbstractValidator<IRangeQuery>
{
    public RangeQueryValidator()
    {
        RuleFor(q => q.Limit)
            .InclusiveBetween(1, RangeQuery.MaxLimit);
        RuleFor(q => q.MinStep)
            .GreaterThanOrEqualTo(0);
        RuleFor(q => q.MaxStep)
            .GreaterThanOrEqualTo(q => q.MinStep ?? 0)
            .WithMessage("'max_step' must not be less than 'min_step' (or 0).");
        RuleFor(q => q.EndTime)
            .GreaterThanOrEqualTo(q => q.StartTime)
            .When(q => q.StartTime is not null && q.EndTime is not null)
            .WithMessage("'end_time' must not be before 'start_time'.");
        RuleFor(q => q.Order)
            .Must(o => o is null || o.Equals("asc", StringComparison.OrdinalIgnoreCase) || o.Equals("desc", StringComparison.OrdinalIgnoreCase))
            .WithMessage("'order' must be 'asc' or 'desc'.");
    }
}
