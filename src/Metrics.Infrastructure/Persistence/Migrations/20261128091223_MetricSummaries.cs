using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MetricSummaries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metric_summaries",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    metric_name = table.Column<string>(type: "text", nullable: false),
                    count = table.Column<long>(type: "bigint", nullable: false),
                    finite_count = table.Column<long>(type: "bigint", nullable: false),
                    nan_count = table.Column<long>(type: "bigint", nullable: false),
                    inf_count = table.Column<long>(type: "bigint", nullable: false),
                    min_value = table.Column<double>(type: "double precision", nullable: true),
                    max_value = table.Column<double>(type: "double precision", nullable: true),
                    mean = table.Column<decimal>(type: "numeric", nullable: true),
                    m2 = table.Column<decimal>(type: "numeric", nullable: true),
                    first_time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    last_time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    latest_step = table.Column<long>(type: "bigint", nullable: true),
                    latest_time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    latest_value = table.Column<double>(type: "double precision", nullable: false),
                    latest_metadata = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_metric_summaries", x => new { x.run_id, x.metric_name });
                });

            // Summaries of the series already stored; from here on every insert keeps them current.
            // The aggregation repeats SummarySql's on purpose: a migration is a snapshot and must not
            // change when the write path does.
            migrationBuilder.Sql(
                """
                INSERT INTO metric_summaries (run_id, metric_name, count, finite_count, nan_count, inf_count,
                    min_value, max_value, mean, m2, first_time, last_time, latest_step, latest_time, latest_value, latest_metadata)
                SELECT b.run_id, b.metric_name, b.n, b.finite_n, b.nan_n, b.inf_n, b.min_v, b.max_v, b.mean, b.m2,
                       b.first_t, b.last_t, l.step, l.time, l.value, l.metadata
                FROM (
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
                    FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM metrics) m
                    GROUP BY run_id, metric_name
                ) b
                JOIN (
                    SELECT DISTINCT ON (run_id, metric_name) run_id, metric_name, step, time, value, metadata
                    FROM metrics
                    ORDER BY run_id, metric_name, step DESC NULLS LAST, time DESC
                ) l USING (run_id, metric_name);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metric_summaries");
        }
    }
}
