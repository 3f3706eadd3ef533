using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>
/// One statement merging a group's <see cref="GroupAggregates"/> into metric_summaries and both
/// rollup levels: one upsert row per series and per block, sent as arrays. Rows arrive in series
/// order, so concurrent groups lock summary and rollup rows in one order and cannot deadlock.
/// </summary>
internal static class AggregateSql
{
    /// <summary>How a group's block merges into a stored one (either rollup level).</summary>
    private const string RollupMerge = """
        ON CONFLICT (run_id, metric_name, block) DO UPDATE SET
            count = r.count + EXCLUDED.count,
            finite_count = r.finite_count + EXCLUDED.finite_count,
            min_value = LEAST(r.min_value, EXCLUDED.min_value),
            max_value = GREATEST(r.max_value, EXCLUDED.max_value),
            finite_sum = CASE
                WHEN r.finite_sum IS NULL THEN EXCLUDED.finite_sum
                WHEN EXCLUDED.finite_sum IS NULL THEN r.finite_sum
                ELSE r.finite_sum + EXCLUDED.finite_sum
            END,
            first_step = LEAST(r.first_step, EXCLUDED.first_step),
            last_step = GREATEST(r.last_step, EXCLUDED.last_step),
            last_time = CASE WHEN (EXCLUDED.last_step, EXCLUDED.last_time) > (r.last_step, r.last_time) THEN EXCLUDED.last_time ELSE r.last_time END,
            last_value = CASE WHEN (EXCLUDED.last_step, EXCLUDED.last_time) > (r.last_step, r.last_time) THEN EXCLUDED.last_value ELSE r.last_value END
        """;

    /// <summary>The group's latest point beats the stored one: higher step, or equal step and later time; any step beats none.</summary>
    private const string NewerLatest = """
        (CASE
            WHEN EXCLUDED.latest_step IS NULL THEN s.latest_step IS NULL AND EXCLUDED.latest_time > s.latest_time
            WHEN s.latest_step IS NULL THEN true
            ELSE EXCLUDED.latest_step > s.latest_step OR (EXCLUDED.latest_step = s.latest_step AND EXCLUDED.latest_time > s.latest_time)
        END)
        """;

    // $1–$17: the summaries' columns; $18–$30 the 64-step blocks'.
    // Scaled values come back as numeric times 2^scale. Mean and M2 merge by Chan's formula.
    private const string Statement = $$"""
        WITH summaries AS (
            INSERT INTO metric_summaries AS s (run_id, metric_name, count, finite_count, nan_count, inf_count,
                min_value, max_value, mean, m2, first_time, last_time, latest_step, latest_time, latest_value, latest_metadata)
            SELECT run_id, metric_name, n, finite_n, nan_n, inf_n, min_v, max_v,
                   mean::numeric * power(2::numeric, scale), m2::numeric * power(2::numeric, 2 * scale),
                   first_t, last_t, latest_step, latest_time, latest_value, latest_metadata
            FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::float8[], $8::float8[],
                        $9::float8[], $10::float8[], $11::int[], $12::timestamptz[], $13::timestamptz[], $14::bigint[],
                        $15::timestamptz[], $16::float8[], $17::jsonb[])
                AS b(run_id, metric_name, n, finite_n, nan_n, inf_n, min_v, max_v, mean, m2, scale, first_t, last_t,
                     latest_step, latest_time, latest_value, latest_metadata)
            ON CONFLICT (run_id, metric_name) DO UPDATE SET
                count = s.count + EXCLUDED.count,
                finite_count = s.finite_count + EXCLUDED.finite_count,
                nan_count = s.nan_count + EXCLUDED.nan_count,
                inf_count = s.inf_count + EXCLUDED.inf_count,
                min_value = LEAST(s.min_value, EXCLUDED.min_value),
                max_value = GREATEST(s.max_value, EXCLUDED.max_value),
                mean = CASE
                    WHEN EXCLUDED.finite_count = 0 THEN s.mean
                    WHEN s.finite_count = 0 THEN EXCLUDED.mean
                    ELSE s.mean + (EXCLUDED.mean - s.mean) * EXCLUDED.finite_count / (s.finite_count + EXCLUDED.finite_count)
                END,
                m2 = CASE
                    WHEN EXCLUDED.finite_count = 0 THEN s.m2
                    WHEN s.finite_count = 0 THEN EXCLUDED.m2
                    ELSE s.m2 + EXCLUDED.m2
                        + (EXCLUDED.mean - s.mean) * (EXCLUDED.mean - s.mean) * s.finite_count * EXCLUDED.finite_count
                          / (s.finite_count + EXCLUDED.finite_count)
                END,
                first_time = LEAST(s.first_time, EXCLUDED.first_time),
                last_time = GREATEST(s.last_time, EXCLUDED.last_time),
                latest_step = CASE WHEN {{NewerLatest}} THEN EXCLUDED.latest_step ELSE s.latest_step END,
                latest_time = CASE WHEN {{NewerLatest}} THEN EXCLUDED.latest_time ELSE s.latest_time END,
                latest_value = CASE WHEN {{NewerLatest}} THEN EXCLUDED.latest_value ELSE s.latest_value END,
                latest_metadata = CASE WHEN {{NewerLatest}} THEN EXCLUDED.latest_metadata ELSE s.latest_metadata END
        ), blocks AS (
            SELECT run_id, metric_name, block, n, finite_n, min_v, max_v, sum_v::numeric * power(2::numeric, scale) AS sum_v,
                   first_s, last_s, last_t, last_v
            FROM unnest($18::uuid[], $19::text[], $20::bigint[], $21::bigint[], $22::bigint[], $23::float8[], $24::float8[],
                        $25::float8[], $26::int[], $27::bigint[], $28::bigint[], $29::timestamptz[], $30::float8[])
                AS b(run_id, metric_name, block, n, finite_n, min_v, max_v, sum_v, scale, first_s, last_s, last_t, last_v)
        ), fine AS (
            INSERT INTO metric_rollups AS r (run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum,
                first_step, last_step, last_time, last_value)
            SELECT * FROM blocks
            {{RollupMerge}}
        ), coarse AS (
            -- The group's 64-step blocks folded 16 to one, in numeric: each 1024-step block stays
            -- exactly the sum of its 64-step blocks. Its last point is that of its highest block.
            INSERT INTO metric_rollups_coarse AS r (run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum,
                first_step, last_step, last_time, last_value)
            SELECT run_id, metric_name, block >> 4, sum(n)::bigint, sum(finite_n)::bigint, min(min_v), max(max_v), sum(sum_v),
                   min(first_s), max(last_s), (array_agg(last_t ORDER BY block DESC))[1], (array_agg(last_v ORDER BY block DESC))[1]
            FROM blocks
            GROUP BY run_id, metric_name, block >> 4
            ORDER BY run_id, metric_name, block >> 4
            {{RollupMerge}}
        )
        SELECT 1
        """;

    public static NpgsqlCommand Command(GroupAggregates aggregates, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var command = new NpgsqlCommand(Statement, connection, transaction);
        void Column<T>(IEnumerable<T> values, NpgsqlDbType? type = null) =>
            command.Parameters.Add(type is { } t ? new NpgsqlParameter { Value = values.ToArray(), NpgsqlDbType = t } : new NpgsqlParameter { Value = values.ToArray() });

        var s = aggregates.Summaries;
        Column(s.Select(x => x.RunId));
        Column(s.Select(x => x.Name));
        Column(s.Select(x => x.Count));
        Column(s.Select(x => x.FiniteCount));
        Column(s.Select(x => x.NanCount));
        Column(s.Select(x => x.InfCount));
        Column(s.Select(x => x.Min));
        Column(s.Select(x => x.Max));
        Column(s.Select(x => x.Mean));
        Column(s.Select(x => x.M2));
        Column(s.Select(x => x.Scale));
        Column(s.Select(x => x.FirstTime));
        Column(s.Select(x => x.LastTime));
        Column(s.Select(x => x.LatestStep));
        Column(s.Select(x => x.LatestTime));
        Column(s.Select(x => x.LatestValue));
        Column(s.Select(x => x.LatestMetadata), NpgsqlDbType.Array | NpgsqlDbType.Jsonb);
        var b = aggregates.Blocks;
        Column(b.Select(x => x.RunId));
        Column(b.Select(x => x.Name));
        Column(b.Select(x => x.Block));
        Column(b.Select(x => x.Count));
        Column(b.Select(x => x.FiniteCount));
        Column(b.Select(x => x.Min));
        Column(b.Select(x => x.Max));
        Column(b.Select(x => x.Sum));
        Column(b.Select(x => x.Scale));
        Column(b.Select(x => x.FirstStep));
        Column(b.Select(x => x.LastStep));
        Column(b.Select(x => x.LastTime));
        Column(b.Select(x => x.LastValue));

        return command;
    }
}
