using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Exceptions;
using Metrics.Application.Common.Models;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence;

internal sealed class RunProjects(MetricsDbContext db) : IRunProjects
{
    public async Task<IReadOnlyList<Guid>> ForeignRunsAsync(IReadOnlyCollection<Guid> runIds, string project, bool claimable, CancellationToken cancellationToken)
    {
        var runs = runIds.ToArray();
        // Nothing is claimed here: a run is claimed by the write that commits (ClaimSql, in its transaction).
        return await db.Database.SqlQuery<Guid>($"""
            SELECT r AS "Value" FROM unnest({runs}) AS r
            WHERE NOT EXISTS (SELECT 1 FROM run_projects p WHERE p.run_id = r AND p.project = {project})
              AND NOT ({claimable}
                       AND NOT EXISTS (SELECT 1 FROM run_projects p WHERE p.run_id = r)
                       AND NOT EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = r)
                       AND NOT EXISTS (SELECT 1 FROM system_metrics m WHERE m.run_id = r))
            """).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Inside a write's transaction, before its points: claims what is claimable (no project, no
    /// points yet) for $1 among the runs $2, then names the runs that are neither claimed now nor
    /// already the project's (the CTE's rows are not visible to the outer query, hence both tests).
    /// </summary>
    public const string ClaimSql = """
        WITH claimed AS (
            INSERT INTO run_projects (run_id, project, claimed_at)
            SELECT r, $1, $3 FROM unnest($2::uuid[]) AS r
            WHERE NOT EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = r)
              AND NOT EXISTS (SELECT 1 FROM system_metrics m WHERE m.run_id = r)
            ON CONFLICT (run_id) DO NOTHING
            RETURNING run_id
        )
        SELECT r FROM unnest($2::uuid[]) AS r
        WHERE r NOT IN (SELECT run_id FROM claimed)
          AND NOT EXISTS (SELECT 1 FROM run_projects p WHERE p.run_id = r AND p.project = $1)
        """;

    /// <summary>Claims the runs of a project-bound write in its transaction; throws (so nothing commits) when one is another project's.</summary>
    public static async Task ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RunClaim> claims, DateTime now, CancellationToken cancellationToken)
    {
        foreach (var claim in claims)
        {
            await using var command = new NpgsqlCommand(ClaimSql, connection, transaction)
            {
                Parameters =
                {
                    new() { Value = claim.Project, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = claim.RunIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                    new() { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                },
            };
            if (await command.ExecuteScalarAsync(cancellationToken) is Guid foreign)
            {
                throw new ForbiddenException($"This API key is bound to project '{claim.Project}'; run {foreign} is not in it. Nothing was written.");
            }
        }
    }
}
