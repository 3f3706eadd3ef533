using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// Brings TimescaleDB's chunk interval and background policies in line with <see cref="StorageOptions"/>
/// after the migrations (which create them with the defaults). A policy is replaced only when its
/// setting differs, so restarts leave the job schedule alone. Nothing to do on plain PostgreSQL.
/// </summary>
internal static class StoragePolicies
{
    private static readonly string[] Hypertables = ["points", "system_metrics"];

    // Each continuous aggregate's refresh policy: the newest bucket is left to real-time aggregation.
    private static readonly (string View, TimeSpan EndOffset, TimeSpan Schedule)[] Aggregates =
    [
        (AggregateCatalog.Minutes, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)),
        (AggregateCatalog.Hours, TimeSpan.FromHours(1), TimeSpan.FromMinutes(10)),
    ];

    public static async Task ApplyAsync(NpgsqlConnection connection, StorageOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (!await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')", [], cancellationToken))
        {
            if (options.Retention is not null)
            {
                logger.LogWarning("RETENTION_DAYS is set, but the database has no TimescaleDB: points are kept forever");
            }

            return;
        }

        foreach (var table in Hypertables)
        {
            await ScalarAsync<object>(connection, "SELECT set_chunk_time_interval(@target::regclass, @value)", [("target", table), ("value", options.ChunkInterval)], cancellationToken);
        }

        if (await ScalarAsync<object>(connection, "SELECT current_setting('timescaledb.license', true)", [], cancellationToken) is "apache")
        {
            logger.LogWarning("TimescaleDB's Apache-2 edition has no compression, policies or continuous aggregates: plain hypertables only");
            return;
        }

        foreach (var table in Hypertables)
        {
            await EnsureAsync(connection, logger, table, "policy_compression", "compress_after", options.CompressAfter, required: false,
                "SELECT remove_compression_policy(@target::regclass, if_exists => true)",
                "SELECT add_compression_policy(@target::regclass, compress_after => @value)", [], cancellationToken);
            await EnsureAsync(connection, logger, table, "policy_retention", "drop_after", options.Retention, required: false,
                "SELECT remove_retention_policy(@target::regclass, if_exists => true)",
                "SELECT add_retention_policy(@target::regclass, drop_after => @value)", [], cancellationToken);
        }

        // With retention, refreshes stop where raw points start being dropped: a refresh over a dropped
        // range would empty those buckets, and the aggregates are what remains of old points.
        // Refreshes in one go: batched refreshes (TimescaleDB 2.19+, on by default) walk a bounded
        // window bucket by bucket, and a window reaching back to the retention limit (decades, by
        // default none) holds millions of one-minute buckets. A refresh only recomputes what changed.
        var unbatched = await ScalarAsync<bool>(connection, """
            SELECT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'add_continuous_aggregate_policy'
                           AND pg_get_function_arguments(oid) LIKE '%buckets_per_batch%')
            """, [], cancellationToken)
            ? ", buckets_per_batch => 0"
            : string.Empty;
        foreach (var (view, endOffset, schedule) in Aggregates)
        {
            await EnsureAsync(connection, logger, view, "policy_refresh_continuous_aggregate", "start_offset", options.Retention, required: true,
                "SELECT remove_continuous_aggregate_policy(@target::regclass, if_exists => true)",
                $"SELECT add_continuous_aggregate_policy(@target::regclass, start_offset => @value, end_offset => @end_offset, schedule_interval => @schedule{unbatched})",
                [("end_offset", endOffset), ("schedule", schedule)], cancellationToken);
        }
    }

    /// <summary>
    /// Leaves the target's one job of <paramref name="proc"/> alone when its <paramref name="key"/>
    /// equals <paramref name="value"/>; otherwise removes it and, when <paramref name="value"/> is set
    /// (or the policy is <paramref name="required"/>), adds it anew.
    /// </summary>
    private static async Task EnsureAsync(
        NpgsqlConnection connection, ILogger logger, string target, string proc, string key, TimeSpan? value, bool required,
        string remove, string add, (string Name, object Value)[] extra, CancellationToken cancellationToken)
    {
        var jobs = await ScalarAsync<long>(connection, "SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name = @target AND proc_name = @proc",
            [("target", target), ("proc", proc)], cancellationToken);
        var matching = await ScalarAsync<long>(connection, """
            SELECT count(*) FROM timescaledb_information.jobs
            WHERE hypertable_name = @target AND proc_name = @proc AND (config ->> @key)::interval IS NOT DISTINCT FROM @value
            """, [("target", target), ("proc", proc), ("key", key), ("value", (object?)value ?? DBNull.Value)], cancellationToken);
        var wanted = value is not null || required;
        if (wanted ? jobs == 1 && matching == 1 : jobs == 0)
        {
            return;
        }

        await ScalarAsync<object>(connection, remove, [("target", target)], cancellationToken);
        if (wanted)
        {
            await ScalarAsync<object>(connection, add, [("target", target), ("value", (object?)value ?? DBNull.Value), .. extra], cancellationToken);
        }

        logger.LogInformation("TimescaleDB {Policy} on {Target}: {Key} = {Value}", proc, target, key,
            value is { } v ? $"{v.TotalDays:0.##} days" : wanted ? "none" : "off");
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            // A null interval still needs its type: the policy functions take "any".
            command.Parameters.Add(value is DBNull
                ? new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Interval) { Value = value }
                : new NpgsqlParameter(name, value));
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
