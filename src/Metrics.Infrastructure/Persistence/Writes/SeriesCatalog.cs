using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>
/// What this instance knows about series: (run, name) → series id, and the highest step (and, for
/// step-less points, time) it has stored in each. Ids are learnt only from committed transactions,
/// so an id in memory always names a row in <c>series</c>. The marks only predict: a point at or
/// below its series' mark may already be stored, so its group skips the optimistic COPY.
/// </summary>
internal sealed class SeriesCatalog
{
    // A bound on memory: past it the catalog starts over (ids are then looked up again, once).
    internal const int MaxSeries = 200_000;

    private readonly ConcurrentDictionary<(Guid RunId, string Name), long> _ids = new();
    private readonly ConcurrentDictionary<long, Mark> _marks = new();

    /// <summary>
    /// The ids of <paramref name="keys"/>, creating the missing series in the caller's transaction
    /// (insert-or-get: concurrent creators of one series, on any instance, agree on its id). The
    /// ids of new series are returned in <paramref name="learnt"/>, to <see cref="Learn"/> once committed.
    /// </summary>
    public async Task<Dictionary<(Guid RunId, string Name), long>> ResolveAsync(
        IReadOnlyCollection<(Guid RunId, string Name)> keys, NpgsqlConnection connection, NpgsqlTransaction transaction,
        List<KeyValuePair<(Guid, string), long>> learnt, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<(Guid, string), long>(keys.Count);
        var missing = new List<(Guid RunId, string Name)>();
        foreach (var key in keys)
        {
            if (_ids.TryGetValue(key, out var id))
            {
                ids[key] = id;
            }
            else
            {
                missing.Add(key);
            }
        }

        if (missing.Count == 0)
        {
            return ids;
        }

        // Sorted, so concurrent creators take the unique index's entries in one order (no deadlock).
        missing.Sort((a, b) => a.RunId != b.RunId ? a.RunId.CompareTo(b.RunId) : string.CompareOrdinal(a.Name, b.Name));
        await ReadIdsAsync(InsertOrGetSql, missing, connection, transaction, ids, learnt, cancellationToken);

        // ON CONFLICT DO NOTHING returns neither rows that existed before the statement nor rows
        // another transaction committed while it waited; a second statement (a new snapshot) sees both.
        var stillMissing = missing.Where(k => !ids.ContainsKey(k)).ToList();
        if (stillMissing.Count > 0)
        {
            await ReadIdsAsync(SelectSql, stillMissing, connection, transaction, ids, learnt, cancellationToken);
        }

        return ids;
    }

    /// <summary>How many series ids are held (never more than about <see cref="MaxSeries"/>).</summary>
    internal int Count => _ids.Count;

    /// <summary>After the commit that made them visible.</summary>
    public void Learn(IEnumerable<KeyValuePair<(Guid, string), long>> ids)
    {
        if (_ids.Count > MaxSeries)
        {
            _ids.Clear();
            _marks.Clear();
        }

        foreach (var (key, id) in ids)
        {
            _ids[key] = id;
        }
    }

    public bool MayBeStored(long seriesId, long? step, DateTime time) =>
        _marks.TryGetValue(seriesId, out var mark) && (step is { } s ? mark.Step >= s : mark.StepLessTime >= time);

    /// <summary>After a commit: the series now holds points up to <paramref name="maxStep"/> and step-less ones up to <paramref name="maxStepLessTime"/>.</summary>
    public void Stored(long seriesId, long? maxStep, DateTime? maxStepLessTime)
    {
        var added = new Mark(maxStep ?? long.MinValue, maxStepLessTime ?? DateTime.MinValue);
        _marks.AddOrUpdate(seriesId, added, (_, mark) => new Mark(Math.Max(mark.Step, added.Step), mark.StepLessTime > added.StepLessTime ? mark.StepLessTime : added.StepLessTime));
    }

    private const string InsertOrGetSql = """
        INSERT INTO series (run_id, metric_name)
        SELECT * FROM unnest(@runs, @names)
        ON CONFLICT (run_id, metric_name) DO NOTHING
        RETURNING run_id, metric_name, series_id
        """;

    private const string SelectSql = """
        SELECT s.run_id, s.metric_name, s.series_id
        FROM series s JOIN unnest(@runs, @names) AS k(run_id, metric_name) USING (run_id, metric_name)
        """;

    private static async Task ReadIdsAsync(
        string sql, List<(Guid RunId, string Name)> keys, NpgsqlConnection connection, NpgsqlTransaction transaction,
        Dictionary<(Guid, string), long> ids, List<KeyValuePair<(Guid, string), long>> learnt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction)
        {
            Parameters =
            {
                new("runs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = keys.Select(k => k.RunId).ToArray() },
                new("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys.Select(k => k.Name).ToArray() },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetGuid(0), reader.GetString(1));
            var id = reader.GetInt64(2);
            ids[key] = id;
            learnt.Add(new(key, id));
        }
    }

    private readonly record struct Mark(long Step, DateTime StepLessTime);
}
