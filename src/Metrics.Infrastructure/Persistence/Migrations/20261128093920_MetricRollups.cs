using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MetricRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metric_rollups",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    metric_name = table.Column<string>(type: "text", nullable: false),
                    block = table.Column<long>(type: "bigint", nullable: false),
                    count = table.Column<long>(type: "bigint", nullable: false),
                    finite_count = table.Column<long>(type: "bigint", nullable: false),
                    min_value = table.Column<double>(type: "double precision", nullable: true),
                    max_value = table.Column<double>(type: "double precision", nullable: true),
                    finite_sum = table.Column<decimal>(type: "numeric", nullable: true),
                    first_step = table.Column<long>(type: "bigint", nullable: false),
                    last_step = table.Column<long>(type: "bigint", nullable: false),
                    last_time = table.Column<DateTime>(type: "timestamptz", nullable: false),
                    last_value = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_metric_rollups", x => new { x.run_id, x.metric_name, x.block });
                });

            // Rollups (64-step blocks) of the points already stored; every insert keeps them current.
            // The aggregation repeats SummarySql's on purpose: a migration is a snapshot and must not
            // change when the write path does.
            migrationBuilder.Sql(
                """
                INSERT INTO metric_rollups (run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum,
                    first_step, last_step, last_time, last_value)
                SELECT b.run_id, b.metric_name, b.block, b.n, b.finite_n, b.min_v, b.max_v, b.sum_v, b.first_s, l.step, l.time, l.value
                FROM (
                    SELECT run_id, metric_name, step >> 6 AS block, count(*) AS n,
                           count(*) FILTER (WHERE finite) AS finite_n,
                           min(value) FILTER (WHERE finite) AS min_v,
                           max(value) FILTER (WHERE finite) AS max_v,
                           sum(value::numeric) FILTER (WHERE finite) AS sum_v,
                           min(step) AS first_s
                    FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM metrics WHERE step IS NOT NULL) m
                    GROUP BY run_id, metric_name, step >> 6
                ) b
                JOIN (
                    SELECT DISTINCT ON (run_id, metric_name, step >> 6) run_id, metric_name, step >> 6 AS block, step, time, value
                    FROM metrics
                    WHERE step IS NOT NULL
                    ORDER BY run_id, metric_name, step >> 6, step DESC, time DESC
                ) l USING (run_id, metric_name, block);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metric_rollups");
        }
    }
}
