using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SeriesAndPoints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The points written so far wait in metrics_v1 until StorageUpgrade has moved them
            // (after this migration, in chunks that commit one by one, so an interrupted upgrade
            // resumes); their series are created here, in one pass over the old table. TimescaleDB:
            // the continuous aggregates over the old table go (they are rebuilt on points below),
            // and so do its background jobs, so that none compresses what is about to be moved.
            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
                        DROP MATERIALIZED VIEW IF EXISTS metric_hours;
                        DROP MATERIALIZED VIEW IF EXISTS metric_minutes;
                        IF current_setting('timescaledb.license', true) IS DISTINCT FROM 'apache' THEN
                            PERFORM remove_compression_policy('metrics', if_exists => TRUE);
                            PERFORM remove_retention_policy('metrics', if_exists => TRUE);
                        END IF;
                    END IF;
                END
                $$;
                ALTER TABLE metrics RENAME TO metrics_v1;
                """);

            migrationBuilder.CreateTable(
                name: "points",
                columns: table => new
                {
                    series_id = table.Column<long>(type: "bigint", nullable: false),
                    step = table.Column<long>(type: "bigint", nullable: true),
                    time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    metadata = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                });

            migrationBuilder.CreateTable(
                name: "series",
                columns: table => new
                {
                    series_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    metric_name = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_series", x => x.series_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_points_series_time",
                table: "points",
                columns: new[] { "series_id", "time" });

            migrationBuilder.CreateIndex(
                name: "ux_points_identity",
                table: "points",
                columns: new[] { "series_id", "step", "time" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "ux_series_run_name",
                table: "series",
                columns: new[] { "run_id", "metric_name" },
                unique: true);

            migrationBuilder.Sql(
                """
                INSERT INTO series (run_id, metric_name)
                SELECT run_id, metric_name FROM metrics_v1 GROUP BY run_id, metric_name ORDER BY run_id, metric_name;

                -- How far the move has come: series up to last_series_id are in points.
                CREATE TABLE points_upgrade (last_series_id bigint NOT NULL, moved bigint NOT NULL);
                INSERT INTO points_upgrade VALUES (0, 0);

                CREATE VIEW metrics AS
                SELECT s.run_id, s.metric_name, p.step, p.value, p.time, p.metadata
                FROM points p JOIN series s USING (series_id);
                """);

            // TimescaleDB: points become the hypertable, compressed by series (a series' history
            // decompresses only its own segment) in step order, with the continuous aggregates of
            // TimescaleStorage rebuilt per series. StoragePolicies then applies the configuration.
            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
                        PERFORM create_hypertable('points', 'time', chunk_time_interval => INTERVAL '1 day');
                        IF current_setting('timescaledb.license', true) IS DISTINCT FROM 'apache' THEN
                            ALTER TABLE points SET (timescaledb.compress,
                                timescaledb.compress_segmentby = 'series_id',
                                timescaledb.compress_orderby = 'step, time');
                            PERFORM add_compression_policy('points', compress_after => INTERVAL '7 days', if_not_exists => TRUE);

                            EXECUTE $view$
                                CREATE MATERIALIZED VIEW metric_minutes
                                WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                                SELECT series_id, time_bucket(INTERVAL '1 minute', time) AS bucket,
                                       count(*) AS count,
                                       count(*) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite_count,
                                       min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS min_value,
                                       max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS max_value,
                                       sum(value::numeric) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite_sum,
                                       min(step) AS first_step, max(step) AS last_step,
                                       max(time) AS last_time, last(value, time) AS last_value
                                FROM points
                                GROUP BY series_id, time_bucket(INTERVAL '1 minute', time)
                                WITH NO DATA
                                $view$;
                            EXECUTE $view$
                                CREATE MATERIALIZED VIEW metric_hours
                                WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                                SELECT series_id, time_bucket(INTERVAL '1 hour', bucket) AS bucket,
                                       sum(count)::bigint AS count, sum(finite_count)::bigint AS finite_count,
                                       min(min_value) AS min_value, max(max_value) AS max_value, sum(finite_sum) AS finite_sum,
                                       min(first_step) AS first_step, max(last_step) AS last_step,
                                       max(last_time) AS last_time, last(last_value, last_time) AS last_value
                                FROM metric_minutes
                                GROUP BY series_id, time_bucket(INTERVAL '1 hour', bucket)
                                WITH NO DATA
                                $view$;
                            CREATE INDEX ix_metric_minutes_series ON metric_minutes (series_id, bucket);
                            CREATE INDEX ix_metric_hours_series ON metric_hours (series_id, bucket);
                            PERFORM add_continuous_aggregate_policy('metric_minutes', start_offset => NULL,
                                end_offset => INTERVAL '1 minute', schedule_interval => INTERVAL '1 minute', if_not_exists => TRUE);
                            PERFORM add_continuous_aggregate_policy('metric_hours', start_offset => NULL,
                                end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '10 minutes', if_not_exists => TRUE);
                        END IF;
                    END IF;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to one table of points (data kept; TimescaleDB's aggregates and compression are not rebuilt).
            migrationBuilder.Sql(
                """
                DROP MATERIALIZED VIEW IF EXISTS metric_hours;
                DROP MATERIALIZED VIEW IF EXISTS metric_minutes;
                DROP VIEW metrics;
                DROP TABLE IF EXISTS points_upgrade;
                """);
            migrationBuilder.CreateTable(
                name: "metrics",
                columns: table => new
                {
                    metadata = table.Column<string>(type: "jsonb", nullable: true),
                    metric_name = table.Column<string>(type: "text", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    step = table.Column<long>(type: "bigint", nullable: true),
                    time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                });

            migrationBuilder.CreateIndex(
                name: "ix_metrics_run_name_time",
                table: "metrics",
                columns: new[] { "run_id", "metric_name", "time" });

            migrationBuilder.CreateIndex(
                name: "ix_metrics_run_time",
                table: "metrics",
                columns: new[] { "run_id", "time" });

            migrationBuilder.CreateIndex(
                name: "ux_metrics_identity",
                table: "metrics",
                columns: new[] { "run_id", "metric_name", "step", "time" },
                unique: true,
                descending: new[] { false, false, true, true })
                .Annotation("Npgsql:IndexNullSortOrder", new[] { NullSortOrder.Unspecified, NullSortOrder.Unspecified, NullSortOrder.NullsLast, NullSortOrder.Unspecified })
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.Sql(
                """
                INSERT INTO metrics (run_id, metric_name, step, value, time, metadata)
                SELECT s.run_id, s.metric_name, p.step, p.value, p.time, p.metadata FROM points p JOIN series s USING (series_id);
                DROP TABLE points;
                DROP TABLE series;
                DO $$ BEGIN IF to_regclass('metrics_v1') IS NOT NULL THEN
                    INSERT INTO metrics SELECT run_id, metric_name, step, value, time, metadata FROM metrics_v1 ON CONFLICT DO NOTHING;
                    DROP TABLE metrics_v1;
                END IF; END $$;
                """);
        }
    }
}
