using Metrics.Domain.Metrics;

namespace Metrics.Application.Runs.Queries.ExportRun;

internal sealed class ExportRunQueryHandler(IMetricReader reader) : IQueryHandler<ExportRunQuery, RunExport>
{
    private static readonly PointRange Everything = new(int.MaxValue, null, null, null, null, Ascending: true);

    public async ValueTask<RunExport> Handle(ExportRunQuery query, CancellationToken cancellationToken)
    {
        var names = query.MetricNames is { Count: > 0 } named
            ? named.Distinct(StringComparer.Ordinal).ToList()
            : await reader.GetMetricNamesAsync(query.RunId, cancellationToken);
        var series = names.Select(n => new SeriesKey(query.RunId, n)).ToList();
        var points = series.Count == 0
            ? PointStream<Metric>.Of([])
            : await PointStream<Metric>.OpenAsync(reader.StreamSeries(series, Everything), cancellationToken);
        return new RunExport(query.RunId, query.Format, points);
    }
}
