using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metrics",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    metric_name = table.Column<string>(type: "text", nullable: false),
                    step = table.Column<long>(type: "bigint", nullable: true),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    metadata = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                });

            migrationBuilder.CreateTable(
                name: "system_metrics",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    metric_type = table.Column<string>(type: "text", nullable: false),
                    value = table.Column<double>(type: "double precision", nullable: false),
                    time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    metadata = table.Column<string>(type: "jsonb", nullable: true)
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

            migrationBuilder.CreateIndex(
                name: "ix_system_metrics_run_time",
                table: "system_metrics",
                columns: new[] { "run_id", "time" });

            // Identity of a system point: metadata tells GPU 0 from GPU 1. Hashed so a large
            // metadata object cannot exceed the btree entry size; jsonb's text form is canonical.
            migrationBuilder.Sql(
                "CREATE UNIQUE INDEX ux_system_metrics_identity ON system_metrics " +
                "(run_id, metric_type, time, md5(coalesce(metadata::text, '')));");

            // Hypertables where TimescaleDB can be used (installed, or available and preloaded);
            // plain tables with the same columns and indexes elsewhere. Every unique index above
            // contains the time column, as hypertables require.
            migrationBuilder.Sql(
                """
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
                       OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
                           AND current_setting('shared_preload_libraries', true) LIKE '%timescaledb%') THEN
                        CREATE EXTENSION IF NOT EXISTS timescaledb;
                        PERFORM create_hypertable('metrics', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
                        PERFORM create_hypertable('system_metrics', 'time', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
                    END IF;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metrics");

            migrationBuilder.DropTable(
                name: "system_metrics");
        }
    }
}
