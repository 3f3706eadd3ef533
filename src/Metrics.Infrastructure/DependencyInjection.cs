using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Settings;
using Metrics.Application.Common.Telemetry;
using Metrics.Infrastructure.Caching;
using Metrics.Infrastructure.Configuration;
using Metrics.Infrastructure.Health;
using Metrics.Infrastructure.Live;
using Metrics.Infrastructure.Persistence;
using Metrics.Infrastructure.Persistence.Replication;
using Metrics.Infrastructure.Persistence.Writes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Metrics.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<ConnectionOptions>(configuration);
        services.AddSettings<StorageOptions>(configuration);
        services.AddSettings<WriteOptions>(configuration);
        services.AddSettings<IdempotencyOptions>(configuration);
        services.AddSettings<CacheOptions>(configuration);
        services.AddSettings<ReplicaOptions>(configuration);

        // Named, so telemetry (the pool name of Npgsql's metrics) never shows the connection string.
        services.AddSingleton(sp => new NpgsqlDataSourceBuilder(PooledConnectionString(sp.GetRequiredService<IOptions<ConnectionOptions>>().Value.DatabaseUrl)) { Name = "metrics" }.Build());
        // Pooled: a request's first use of a fresh context (its internal service scope) showed as
        // 6 % of the service's samples in a profile of small reads.
        services.AddDbContextPool<MetricsDbContext>((sp, options) =>
            options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>())
                .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking));
        AddStandbyReads(services, configuration);
        services.AddScoped<IMetricReader, MetricReader>();
        services.AddSingleton<AggregateCatalog>();
        services.AddScoped<IApiKeyStore, ApiKeyStore>();
        services.AddSingleton<ApiKeyLookups>();
        services.AddScoped<IRunProjects, RunProjects>();
        services.AddSingleton<IRunCatalog, RunCatalog>();
        services.AddScoped<IIdempotencyStore, IdempotencyStore>();
        services.AddHostedService<IdempotencyCleanup>();
        services.AddSingleton<SeriesCatalog>();
        services.AddSingleton<MetricWriter>();
        services.AddSingleton<GroupCommitWriter>();
        services.AddSingleton<IMetricWriter>(sp => sp.GetRequiredService<GroupCommitWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitWriter>());

        services.AddSingleton<IConnectionMultiplexer>(sp =>
            ConnectionMultiplexer.Connect(ConnectionStrings.ParseRedis(sp.GetRequiredService<IOptions<ConnectionOptions>>().Value.RedisUrl)));
        services.AddSingleton<IQueryCache, RedisQueryCache>();
        services.AddSingleton<ISharedBuckets, RedisSharedBuckets>();
        services.AddSingleton<ISharedConnectionCounts, RedisConnectionCounts>();

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

    // Reads may go to a standby only with READ_FROM_STANDBY, which costs each commit a round trip
    // (its WAL position) and the standby a 20 ms poll; without it, nothing here touches a standby.
    private static void AddStandbyReads(IServiceCollection services, IConfiguration configuration)
    {
        var toStandby = configuration.ReadSettings<ReplicaOptions>().ReadFromStandby;
        services.AddSingleton(sp => new CommitPositions(sp.GetRequiredService<NpgsqlDataSource>(), toStandby));
        if (toStandby)
        {
            services.AddSingleton(sp =>
            {
                var builder = new NpgsqlDataSourceBuilder(PooledConnectionString(sp.GetRequiredService<IOptions<ConnectionOptions>>().Value.DatabaseUrl)) { Name = "metrics-standby" };
                return new StandbyReplay(builder.BuildMultiHost().WithTargetSession(TargetSessionAttributes.Standby), sp.GetRequiredService<ILogger<StandbyReplay>>());
            });
            services.AddHostedService(sp => sp.GetRequiredService<StandbyReplay>());
        }

        services.AddScoped(sp => new ReadRoute(sp.GetRequiredService<MetricsDbContext>(), sp.GetRequiredService<NpgsqlDataSource>(), sp.GetService<StandbyReplay>(), sp.GetRequiredService<ServiceMetrics>()));
    }

    private static string PooledConnectionString(string url)
    {
        var postgres = ConnectionStrings.ParsePostgres(url);
        // Pooled sessions keep their state (none is ever set but prepared statements): repeated
        // statements are prepared on the server instead of planned every time.
        postgres.NoResetOnClose = true;
        // Unless the connection string says otherwise: PGlite shares one server session among all its
        // connections, so statements prepared on one would collide on the next (Max Auto Prepare=0).
        if (!url.Replace(" ", string.Empty, StringComparison.Ordinal).Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
        {
            postgres.MaxAutoPrepare = 64;
        }

        return postgres.ConnectionString;
    }
}
