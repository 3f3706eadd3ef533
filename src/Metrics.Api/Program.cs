using Metrics.Api;
using Metrics.Api.Hosting;
using Metrics.Api.Live;
using Metrics.Api.OpenApi;
using Metrics.Api.Security;
using Metrics.Application;
using Metrics.Application.Common.Settings;
using Metrics.Infrastructure;
using Metrics.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    EnvironmentName = Environment.GetEnvironmentVariable("ENVIRONMENT") is { Length: > 0 } env
        ? (env.Equals("development", StringComparison.OrdinalIgnoreCase) ? Environments.Development : Environments.Production)
        : null,
});
var config = builder.Configuration;

builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = ApiLimits.MaxRequestBodyBytes);
builder.WebHost.UseUrls(config.ReadSettings<HostingOptions>().ListenUrls);

builder.Services
    .AddApplication(config)
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

if (app.Services.GetRequiredService<IOptions<HostingOptions>>().Value.MigrateOnStartup && !OpenApiSetup.IsBuildTimeGeneration)
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
