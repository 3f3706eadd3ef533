using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metrics.Api.Hosting;

/// <summary>The old service's <c>{"status":"healthy"}</c>, with each dependency's state beside it.</summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(
            new
            {
                status = report.Status.ToString().ToLowerInvariant(),
                checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant()),
            },
            JsonSerializerOptions.Web,
            context.RequestAborted);
    }
}
