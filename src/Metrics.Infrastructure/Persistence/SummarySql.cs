namespace Metrics.Infrastructure.Persistence;

/// <summary>The insert statement of the metric write path, which also keeps metric_summaries and metric_rollups current.</summary>
internal static class SummarySql
{
    /// <summary>
    /// One statement: insert the staged points (sorted, so concurrent batches lock index entries
    /// and summary rows in the same order and cannot deadlock; among equal identities the first
    /// staged comes first, so it is the one stored), aggregate what was really inserted
    /// per series (and per 64- and 1024-step block), merge that into the series' summary (and both
    /// rollup levels), and
    /// return the inserted points' identities.
    /// </summary>
    public const string InsertMetrics = """
        WITH ins AS (
            INSERT INTO metrics (run_id, metric_name, step, value, time, metadata)
            SELECT run_id, metric_name, step, value, time, metadata FROM metrics_stage
            ORDER BY run_id, metric_name, step, time, ord
            ON CONFLICT DO NOTHING
            RETURNING run_id, metric_name, step, value, time, metadata
        ), batch AS (
            SELECT run_id, metric_name,
                   count(*) AS n,
                   count(*) FILTER (WHERE finite) AS finite_n,
                   count(*) FILTER (WHERE value = 'NaN') AS nan_n,
                   count(*) FILTER (WHERE value IN ('Infinity', '-Infinity')) AS inf_n,
                   min(value) FILTER (WHERE finite) AS min_v,
                   max(value) FILTER (WHERE finite) AS max_v,
                   avg(value::numeric) FILTER (WHERE finite) AS mean,
                   var_pop(value::numeric) FILTER (WHERE finite) * count(*) FILTER (WHERE finite) AS m2,
                   min(time) AS first_t,
                   max(time) AS last_t
            FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM ins) i
            GROUP BY run_id, metric_name
        ), latest AS (
            SELECT DISTINCT ON (run_id, metric_name) run_id, metric_name, step, time, value, metadata
            FROM ins
            ORDER BY run_id, metric_name, step DESC NULLS LAST, time DESC
        ), merged AS (
            INSERT INTO metric_summaries AS s (run_id, metric_name, count, finite_count, nan_count, inf_count,
                min_value, max_value, mean, m2, first_time, last_time, latest_step, latest_time, latest_value, latest_metadata)
            SELECT b.run_id, b.metric_name, b.n, b.finite_n, b.nan_n, b.inf_n, b.min_v, b.max_v, b.mean, b.m2,
                   b.first_t, b.last_t, l.step, l.time, l.value, l.metadata
            FROM batch b JOIN latest l USING (run_id, metric_name)
            ORDER BY b.run_id, b.metric_name
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
                latest_step = CASE WHEN {0} THEN EXCLUDED.latest_step ELSE s.latest_step END,
                latest_time = CASE WHEN {0} THEN EXCLUDED.latest_time ELSE s.latest_time END,
                latest_value = CASE WHEN {0} THEN EXCLUDED.latest_value ELSE s.latest_value END,
                latest_metadata = CASE WHEN {0} THEN EXCLUDED.latest_metadata ELSE s.latest_metadata END
        ), fine AS (
            SELECT b.run_id, b.metric_name, b.block, b.n, b.finite_n, b.min_v, b.max_v, b.sum_v, b.first_s,
                   l.step AS last_s, l.time AS last_t, l.value AS last_v
            FROM (
                SELECT run_id, metric_name, step >> 6 AS block, count(*) AS n,
                       count(*) FILTER (WHERE finite) AS finite_n,
                       min(value) FILTER (WHERE finite) AS min_v,
                       max(value) FILTER (WHERE finite) AS max_v,
                       sum(value::numeric) FILTER (WHERE finite) AS sum_v,
                       min(step) AS first_s
                FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM ins WHERE step IS NOT NULL) i
                GROUP BY run_id, metric_name, step >> 6
            ) b
            JOIN (
                SELECT DISTINCT ON (run_id, metric_name, step >> 6) run_id, metric_name, step >> 6 AS block, step, time, value
                FROM ins
                WHERE step IS NOT NULL
                ORDER BY run_id, metric_name, step >> 6, step DESC, time DESC
            ) l USING (run_id, metric_name, block)
        ), rolled AS (
            INSERT INTO metric_rollups AS r (run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum,
                first_step, last_step, last_time, last_value)
            SELECT run_id, metric_name, block, n, finite_n, min_v, max_v, sum_v, first_s, last_s, last_t, last_v
            FROM fine
            ORDER BY run_id, metric_name, block
            {rollup_merge}
        ), coarse AS (
            -- The batch's 64-step blocks folded into 1024-step ones (block >> 4).
            INSERT INTO metric_rollups_coarse AS r (run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum,
                first_step, last_step, last_time, last_value)
            SELECT g.run_id, g.metric_name, g.block, g.n, g.finite_n, g.min_v, g.max_v, g.sum_v, g.first_s, l.last_s, l.last_t, l.last_v
            FROM (
                SELECT run_id, metric_name, block >> 4 AS block, sum(n)::bigint AS n, sum(finite_n)::bigint AS finite_n,
                       min(min_v) AS min_v, max(max_v) AS max_v, sum(sum_v) AS sum_v, min(first_s) AS first_s
                FROM fine
                GROUP BY run_id, metric_name, block >> 4
            ) g
            JOIN (
                SELECT DISTINCT ON (run_id, metric_name, block >> 4) run_id, metric_name, block >> 4 AS block, last_s, last_t, last_v
                FROM fine
                ORDER BY run_id, metric_name, block >> 4, last_s DESC, last_t DESC
            ) l USING (run_id, metric_name, block)
            ORDER BY g.run_id, g.metric_name, g.block
            {rollup_merge}
        )
        SELECT run_id, metric_name, step, time FROM ins
        """;

    /// <summary>The batch's latest point beats the stored one: higher step, or equal step and later time; any step beats none.</summary>
    public const string NewLatestWins = """
        (CASE
            WHEN EXCLUDED.latest_step IS NULL THEN s.latest_step IS NULL AND EXCLUDED.latest_time > s.latest_time
            WHEN s.latest_step IS NULL THEN true
            ELSE EXCLUDED.latest_step > s.latest_step OR (EXCLUDED.latest_step = s.latest_step AND EXCLUDED.latest_time > s.latest_time)
        END)
        """;

    /// <summary>How a batch's block aggregate merges into a stored one (either rollup level).</summary>
    public const string RollupMerge = """
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

    public static readonly string InsertMetricsStatement = InsertMetrics
        .Replace("{0}", NewLatestWins, StringComparison.Ordinal)
        .Replace("{rollup_merge}", RollupMerge, StringComparison.Ordinal);
}
