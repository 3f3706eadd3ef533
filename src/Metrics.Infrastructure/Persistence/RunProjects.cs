using Metrics.Application.Common.Abstractions;
using Microsoft.EntityFrameworkCore;

namespace Metrics.Infrastructure.Persistence;

internal sealed class RunProjects(MetricsDbContext db, TimeProvider clock) : IRunProjects
{
    public async Task<IReadOnlyList<Guid>> ForeignRunsAsync(IReadOnlyCollection<Guid> runIds, string project, bool claim, CancellationToken cancellationToken)
    {
        var runs = runIds.ToArray();
        var now = clock.GetUtcNow().UtcDateTime;
        // One statement: claim what is claimable (no project, no points yet), then name the runs that
        // are neither claimed now nor already the project's (the CTE's rows are not visible to the
        // outer query, hence both tests).
        return await db.Database.SqlQuery<Guid>($"""
            WITH claimed AS (
                INSERT INTO run_projects (run_id, project, claimed_at)
                SELECT r, {project}, {now} FROM unnest({runs}) AS r
                WHERE {claim}
                  AND NOT EXISTS (SELECT 1 FROM metric_summaries s WHERE s.run_id = r)
                  AND NOT EXISTS (SELECT 1 FROM system_metrics m WHERE m.run_id = r)
                ON CONFLICT (run_id) DO NOTHING
                RETURNING run_id
            )
            SELECT r AS "Value" FROM unnest({runs}) AS r
            WHERE r NOT IN (SELECT run_id FROM claimed)
              AND NOT EXISTS (SELECT 1 FROM run_projects p WHERE p.run_id = r AND p.project = {project})
            """).ToListAsync(cancellationToken);
    }
}
