using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Metrics.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RunProjects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "run_projects",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    project = table.Column<string>(type: "text", nullable: false),
                    claimed_at = table.Column<DateTime>(type: "timestamptz", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_run_projects", x => x.run_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_run_projects_project",
                table: "run_projects",
                column: "project");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "run_projects");
        }
    }
}
