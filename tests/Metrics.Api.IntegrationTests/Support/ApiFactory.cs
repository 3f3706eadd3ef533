using Mediator;
using Metrics.Application.Keys.Commands.CreateApiKey;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>The real API host in memory, on the real PostgreSQL and Redis (or proxies in front of them).</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string? _databaseUrl;
    private readonly string? _redisUrl;
    private readonly bool _kestrel;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly ILoggerProvider? _logging;

    /// <param name="databaseUrl">Another database than the shared test database (or a proxy in front of it).</param>
    /// <param name="redisUrl">Another Redis than the shared one.</param>
    /// <param name="kestrel">Serve over real Kestrel on a free port, for what the in-memory server does not model (body size limits).</param>
    /// <param name="settings">Extra configuration, e.g. WRITE_MODE.</param>
    /// <param name="logging">Also receives every log line the host writes (after its level filters).</param>
    public ApiFactory(string? databaseUrl = null, string? redisUrl = null, bool kestrel = false, IReadOnlyDictionary<string, string>? settings = null,
        ILoggerProvider? logging = null)
    {
        _logging = logging;
        _settings = settings ?? new Dictionary<string, string>();
        _databaseUrl = databaseUrl;
        _redisUrl = redisUrl;
        _kestrel = kestrel;
        if (kestrel)
        {
            UseKestrel();
        }
    }

    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Clock { get; } = new(Now);

    /// <summary>A key made the way the key command makes it (through the mediator); the secret is in the answer.</summary>
    public async Task<CreatedApiKeyDto> CreateKeyAsync(string[] scopes, string? project = null)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ISender>().Send(new CreateApiKeyCommand("test", scopes, project));
    }

    /// <summary>A client of this host sending <paramref name="key"/> as a Bearer token.</summary>
    public HttpClient CreateClient(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("TIMESCALE_URL", _databaseUrl ?? TestEnvironment.DatabaseUrl);
        builder.UseSetting("REDIS_URL", _redisUrl ?? TestEnvironment.RedisUrl);
        if (_kestrel)
        {
            builder.UseSetting("urls", "http://127.0.0.1:0");
        }
        builder.UseSetting("BATCH_SIZE", "1000");

        // The host's clock is a fake one (2025-06-01) while many tests write points at the real
        // time: the future-time bound is wide here unless a test sets it.
        builder.UseSetting("MAX_FUTURE_HOURS", "876000");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(ServerLog.Instance);
            if (_logging is not null)
            {
                logging.AddProvider(_logging);
            }
        });
    }
}
