using Metrics.Application.Common.Abstractions;
using Metrics.Infrastructure.Caching;
using Metrics.Infrastructure.Configuration;
using Metrics.Infrastructure.Health;
using Metrics.Infrastructure.Live;
using Metrics.Infrastructure.Persistence;
using Metrics.Infrastructure.Persistence.Writes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using StackExchange.Redis;

namespace Metrics.Infrastructure;

public static class DependencyInjection
{
    /// <summary>
    /// PostgreSQL from TIMESCALE_URL, Redis from REDIS_URL, cache lifetime from CACHE_TIMEOUT (seconds).
    /// </summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        var postgresUrl = configuration["TIMESCALE_URL"] ?? "postgresql://postgres:postgres@localhost:5432/metrics";
        var postgres = ConnectionStrings.ParsePostgres(postgresUrl);
        // Pooled sessions keep their state (none is ever set but prepared statements): repeated
        // statements are prepared on the server instead of planned every time.
        postgres.NoResetOnClose = true;
        // Unless the connection string says otherwise: PGlite shares one server session among all its
        // connections, so statements prepared on one would collide on the next (Max Auto Prepare=0).
        if (!postgresUrl.Replace(" ", string.Empty, StringComparison.Ordinal).Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            postgres.MaxAutoPrepare = 64;
        }

        // Named, so telemetry (the pool name of Npgsql's metrics) never shows the connection string.
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(postgres.ConnectionString) { Name = "metrics" }.Build());
        // Pooled: a request's first use of a fresh context (its internal service scope) showed as
        // 6 % of the service's samples in a profile of small reads.
        services.AddDbContextPool<MetricsDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>())
                .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking));
        services.AddScoped<IMetricReader, MetricReader>();
        services.AddSingleton<AggregateCatalog>();
        services.AddScoped<IApiKeyStore, ApiKeyStore>();
        services.AddSingleton<ApiKeyLookups>();
        services.AddScoped<IRunProjects, RunProjects>();
        services.AddSingleton<IRunCatalog, RunCatalog>();
        services.AddScoped<IIdempotencyStore, IdempotencyStore>();
        services.Configure<IdempotencyOptions>(o => o.Retention = TimeSpan.FromHours(configuration.GetValue("IDEMPOTENCY_TTL_HOURS", 24)));
        services.AddHostedService<IdempotencyCleanup>();
        services.Configure<WriteOptions>(o => o.Mode = configuration.GetValue("WRITE_MODE", WriteMode.Auto));
        services.Configure<StorageOptions>(o => StorageOptions.Bind(o, configuration));
        services.AddSingleton<SeriesCatalog>();
        services.AddSingleton<MetricWriter>();
        services.AddSingleton<GroupCommitWriter>();
        services.AddSingleton<IMetricWriter>(sp => sp.GetRequiredService<GroupCommitWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitWriter>());

        var redis = ConnectionStrings.ParseRedis(configuration["REDIS_URL"] ?? "redis://localhost:6379");
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
        services.Configure<CacheOptions>(o =>
            o.EntryLifetime = TimeSpan.FromSeconds(configuration.GetValue("CACHE_TIMEOUT", 300)));
        services.AddSingleton<IQueryCache, RedisQueryCache>();

        services.AddOptions<LiveOptions>();
        services.AddSingleton<RedisLiveMetricBus>();
        services.AddSingleton<ILiveMetricPublisher>(sp => sp.GetRequiredService<RedisLiveMetricBus>());
        services.AddSingleton<ILiveRunInterest>(sp => sp.GetRequiredService<RedisLiveMetricBus>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisLiveMetricBus>());

        // Tagged "ready": what /health/ready asks (Redis is reported, but the service serves without it).
        services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgresql", HealthStatus.Unhealthy, tags: ["ready"])
            .AddCheck<MigrationsHealthCheck>("migrations", HealthStatus.Unhealthy, tags: ["ready-only"])
            .AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, tags: ["ready"]);

        return services;
    }
}
