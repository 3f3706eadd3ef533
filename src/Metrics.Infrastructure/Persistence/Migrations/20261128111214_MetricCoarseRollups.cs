using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MetricCoarseRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metric_rollups_coarse",
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
                    table.PrimaryKey("PK_metric_rollups_coarse", x => new { x.run_id, x.metric_name, x.block });
                });

            // 1024-step blocks of what is stored, from the 64-step ones (16 per coarse block); from
            // here on every insert keeps them current. Repeats SummarySql's aggregation on purpose:
            // a migration is a snapshot and must not change when the write path does.
            migrationBuilder.Sql(
                """
                INSERT INTO metric_rollups_coarse (run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum,
                    first_step, last_step, last_time, last_value)
                SELECT g.run_id, g.metric_name, g.block, g.n, g.finite_n, g.min_v, g.max_v, g.sum_v, g.first_s, l.last_step, l.last_time, l.last_value
                FROM (
                    SELECT run_id, metric_name, block >> 4 AS block, sum(count)::bigint AS n, sum(finite_count)::bigint AS finite_n,
                           min(min_value) AS min_v, max(max_value) AS max_v, sum(finite_sum) AS sum_v, min(first_step) AS first_s
                    FROM metric_rollups
                    GROUP BY run_id, metric_name, block >> 4
                ) g
                JOIN (
                    SELECT DISTINCT ON (run_id, metric_name, block >> 4) run_id, metric_name, block >> 4 AS block, last_step, last_time, last_value
                    FROM metric_rollups
                    ORDER BY run_id, metric_name, block >> 4, last_step DESC, last_time DESC
                ) l USING (run_id, metric_name, block);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metric_rollups_coarse");
        }
    }
}
