namespace Metrics.Infrastructure.Persistence.Replication;

/// <summary>
/// The WAL position the current read must see, set by the cache for the query it is about to run
/// (it knows the newest commit that touched the query's data); unset means unknown, and the read
/// goes to the primary. Flows with the async call, so a read in flight keeps its own.
/// </summary>
internal static class ReadFreshness
{
    private static readonly AsyncLocal<ulong?> Required = new();

    public static ulong? MustSee => Required.Value;

    public static void Require(ulong? position) => Required.Value = position;
}
