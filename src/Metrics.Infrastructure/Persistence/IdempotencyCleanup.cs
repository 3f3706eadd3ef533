using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Metrics.Infrastructure.Persistence;

/// <summary>How long an Idempotency-Key is remembered.</summary>
public sealed class IdempotencyOptions
{
    [ConfigurationKeyName("IDEMPOTENCY_TTL_HOURS")]
    [Range(1, 87_600, ErrorMessage = "IDEMPOTENCY_TTL_HOURS must be a whole number from {1} to {2}.")]
    public int RetentionHours { get; set; } = 24;

    public TimeSpan Retention => TimeSpan.FromHours(RetentionHours);
}

/// <summary>Forgets idempotency records past their retention, every 10 minutes.</summary>
internal sealed partial class IdempotencyCleanup(IServiceScopeFactory scopes, IOptions<IdempotencyOptions> options, TimeProvider clock, ILogger<IdempotencyCleanup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), clock);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var before = clock.GetUtcNow().UtcDateTime - options.Value.Retention;
                await scope.ServiceProvider.GetRequiredService<MetricsDbContext>().Set<IdempotencyEntry>()
                    .Where(e => e.ClaimedAt < before).ExecuteDeleteAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex.Message); // the database may be away; the next round tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not forget old idempotency keys: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
