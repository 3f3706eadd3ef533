using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// TimescaleDB only (nothing happens on plain PostgreSQL): native compression of both
    /// hypertables with a policy after 7 days, and the continuous aggregates <c>metric_minutes</c>
    /// and <c>metric_hours</c> (hierarchical, on the minutes) that serve time-bucketed reads, with
    /// refresh policies. Chunk interval, compression age and retention are then set from the
    /// configuration at every start (StoragePolicies), so these are only the defaults.
    /// </summary>
    public partial class TimescaleStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Compressed chunks stay readable and writable: TimescaleDB checks the identity indexes
            // against the compressed rows on insert (ON CONFLICT DO NOTHING still skips duplicates).
            // Segments are one series each, so a series' history decompresses only its own rows.
            // Real-time aggregation (materialized_only = false) adds what is not yet materialized,
            // so the views never miss recent points; late points into materialized buckets show
            // after the next refresh. The views are created WITH NO DATA because a migration runs
            // in a transaction; the first policy run materializes existing data, and real-time
            // aggregation answers correctly until it does.
            // Compression, policies and continuous aggregates are Timescale License features: the
            // Apache-2 edition (some managed services) keeps plain hypertables.
            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
                       AND current_setting('timescaledb.license', true) IS DISTINCT FROM 'apache' THEN
                        ALTER TABLE metrics SET (timescaledb.compress,
                            timescaledb.compress_segmentby = 'run_id, metric_name',
                            timescaledb.compress_orderby = 'step, time');
                        ALTER TABLE system_metrics SET (timescaledb.compress,
                            timescaledb.compress_segmentby = 'run_id, metric_type',
                            timescaledb.compress_orderby = 'time');
                        PERFORM add_compression_policy('metrics', compress_after => INTERVAL '7 days', if_not_exists => TRUE);
                        PERFORM add_compression_policy('system_metrics', compress_after => INTERVAL '7 days', if_not_exists => TRUE);

                        EXECUTE $view$
                            CREATE MATERIALIZED VIEW metric_minutes
                            WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                            SELECT run_id, metric_name, time_bucket(INTERVAL '1 minute', time) AS bucket,
                                   count(*) AS count,
                                   count(*) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite_count,
                                   min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS min_value,
                                   max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS max_value,
                                   sum(value::numeric) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite_sum,
                                   min(step) AS first_step, max(step) AS last_step,
                                   max(time) AS last_time, last(value, time) AS last_value
                            FROM metrics
                            GROUP BY run_id, metric_name, time_bucket(INTERVAL '1 minute', time)
                            WITH NO DATA
                            $view$;
                        EXECUTE $view$
                            CREATE MATERIALIZED VIEW metric_hours
                            WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                            SELECT run_id, metric_name, time_bucket(INTERVAL '1 hour', bucket) AS bucket,
                                   sum(count)::bigint AS count, sum(finite_count)::bigint AS finite_count,
                                   min(min_value) AS min_value, max(max_value) AS max_value, sum(finite_sum) AS finite_sum,
                                   min(first_step) AS first_step, max(last_step) AS last_step,
                                   max(last_time) AS last_time, last(last_value, last_time) AS last_value
                            FROM metric_minutes
                            GROUP BY run_id, metric_name, time_bucket(INTERVAL '1 hour', bucket)
                            WITH NO DATA
                            $view$;
                        CREATE INDEX ix_metric_minutes_series ON metric_minutes (run_id, metric_name, bucket);
                        CREATE INDEX ix_metric_hours_series ON metric_hours (run_id, metric_name, bucket);
                        PERFORM add_continuous_aggregate_policy('metric_minutes', start_offset => NULL,
                            end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute', if_not_exists => TRUE);
                        PERFORM add_continuous_aggregate_policy('metric_hours', start_offset => NULL,
                            end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '10 minutes', if_not_exists => TRUE);
                    END IF;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
                        DROP MATERIALIZED VIEW IF EXISTS metric_hours;
                        DROP MATERIALIZED VIEW IF EXISTS metric_minutes;
                        PERFORM remove_compression_policy('metrics', if_exists => TRUE);
                        PERFORM remove_compression_policy('system_metrics', if_exists => TRUE);
                        PERFORM decompress_chunk(c, if_compressed => TRUE) FROM show_chunks('metrics') c;
                        PERFORM decompress_chunk(c, if_compressed => TRUE) FROM show_chunks('system_metrics') c;
                        ALTER TABLE metrics SET (timescaledb.compress = false);
                        ALTER TABLE system_metrics SET (timescaledb.compress = false);
                    END IF;
                END
                $$;
                """);
        }
    }
}
