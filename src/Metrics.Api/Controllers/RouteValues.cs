namespace Metrics.Api.Controllers;

internal static class RouteValues
{
    /// <summary>Routing leaves an encoded '/' (%2F) encoded in route values; metric names cannot contain '%'.</summary>
    public static string MetricName(string routeValue) => Uri.UnescapeDataString(routeValue);
}
