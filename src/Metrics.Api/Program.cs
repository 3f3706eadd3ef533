using Metrics.Api;
using Metrics.Api.Infrastructure;
using Metrics.Api.Live;
using Metrics.Api.OpenApi;
using Metrics.Api.Security;
using Metrics.Application;
using Metrics.Infrastructure;
using Metrics.Infrastructure.Persistence;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    EnvironmentName = Environment.GetEnvironmentVariable("ENVIRONMENT") is { Length: > 0 } env
        ? (env.Equals("development", StringComparison.OrdinalIgnoreCase) ? Environments.Development : Environments.Production)
        : null,
});
var config = builder.Configuration;

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = ApiLimits.MaxRequestBodyBytes);
builder.WebHost.UseUrls(config["urls"] is { Length: > 0 } urls ? urls : $"http://0.0.0.0:{config.GetValue("PORT", 8001)}");

builder.Services
    .AddApplication(ingest =>
    {
        ingest.MaxBatchSize = config.GetValue("BATCH_SIZE", 1000);
        ingest.FutureAllowance = TimeSpan.FromHours(config.GetValue("MAX_FUTURE_HOURS", 24));
    })
    .AddInfrastructure(config)
    .AddApi(config, builder.Environment);

var app = builder.Build();

app.UseMiddleware<RequestLogging>();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseBrowserPolicies();
app.UseDefaultFiles();
app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = files => BrowserPolicies.AddDashboardHeaders(files.Context.Response) });
app.UseLiveShutdown();
app.UseWebSockets();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseLiveAdmission();
app.MapControllers();
app.MapMetricsOpenApi();
app.MapHub<MetricsHub>(LiveRoutes.Hub);
app.MapRawMetricsWebSocket();
app.MapHealthEndpoints();
app.MapTelemetry();

if (config.GetValue("MIGRATE_ON_STARTUP", true) && !OpenApiSetup.IsBuildTimeGeneration)
{
    await app.Services.MigrateDatabaseAsync(TimeSpan.FromSeconds(60), app.Lifetime.ApplicationStopping);
}

if (args is ["keys", .. var keyArgs])
{
    return await KeyCommands.RunAsync(app.Services, keyArgs, Console.Out);
}

await app.RunAsync();
return 0;

/// <summary>Entry point; public for WebApplicationFactory in the integration tests.</summary>
public partial class Program;
