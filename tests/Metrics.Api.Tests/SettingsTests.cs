using System.Reflection;
using System.Text.RegularExpressions;
using Metrics.Api.Hosting;
using Metrics.Api.Security;
using Metrics.Application.Common.Models;
using Metrics.Application.Common.Settings;
using Metrics.Infrastructure.Caching;
using Metrics.Infrastructure.Configuration;
using Metrics.Infrastructure.Persistence;
using Metrics.Infrastructure.Persistence.Writes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Metrics.Api.Tests;

public sealed class SettingsTests
{
    private static readonly Assembly[] Layers = [typeof(IngestOptions).Assembly, typeof(StorageOptions).Assembly, typeof(RateLimitOptions).Assembly];

    [Theory]
    [InlineData(typeof(IngestOptions), "BATCH_SIZE", "0", "BATCH_SIZE must be a whole number from 1 to 1000000.")]
    [InlineData(typeof(IngestOptions), "BATCH_SIZE", "lots", "BATCH_SIZE must be a whole number, not 'lots'.")]
    [InlineData(typeof(IngestOptions), "MAX_FUTURE_HOURS", "1.5", "MAX_FUTURE_HOURS must be a whole number, not '1.5'.")]
    [InlineData(typeof(RateLimitOptions), "RATE_LIMIT_REQUESTS", "-1", "RATE_LIMIT_REQUESTS must be a whole number, 0 or more (0 turns the limit off).")]
    [InlineData(typeof(WriteOptions), "WRITE_MODE", "fast", "WRITE_MODE must be 'auto', 'copy' or 'insert', not 'fast'.")]
    [InlineData(typeof(WriteOptions), "WRITE_MODE", "7", "WRITE_MODE must be 'auto', 'copy' or 'insert', not '7'.")]
    [InlineData(typeof(HostingOptions), "PORT", "70000", "PORT must be a whole number from 1 to 65535.")]
    [InlineData(typeof(HostingOptions), "MIGRATE_ON_STARTUP", "maybe", "MIGRATE_ON_STARTUP must be true or false, not 'maybe'.")]
    [InlineData(typeof(CacheOptions), "CACHE_TIMEOUT", "0", "CACHE_TIMEOUT must be a whole number of seconds from 1 to 31536000.")]
    [InlineData(typeof(StorageOptions), "RETENTION_DAYS", "30d", "RETENTION_DAYS must be a whole number, not '30d'.")]
    [InlineData(typeof(TelemetryOptions), "METRICS_AUTH", "public", "METRICS_AUTH must be 'key', 'admin' or 'open', not 'public'.")]
    [InlineData(typeof(ConnectionOptions), "TIMESCALE_URL", "Host=db;Colour=blue", "TIMESCALE_URL is neither a postgresql:// URL nor an Npgsql connection string*")]
    public void A_bad_value_stops_the_start_naming_the_setting(Type options, string key, string value, string message)
    {
        var resolve = () => Resolve(options, (key, value));

        resolve.Should().Throw<OptionsValidationException>().WithMessage($"*{message}*");
    }

    [Fact]
    public void A_blank_or_missing_value_keeps_the_default_and_a_good_one_is_taken()
    {
        ((IngestOptions)Resolve(typeof(IngestOptions), ("BATCH_SIZE", ""))).MaxBatchSize.Should().Be(1000);
        ((StorageOptions)Resolve(typeof(StorageOptions), ("RETENTION_DAYS", " "))).Retention.Should().BeNull();
        ((StorageOptions)Resolve(typeof(StorageOptions), ("COMPRESS_AFTER_DAYS", "0"))).CompressAfter.Should().BeNull();
        ((WriteOptions)Resolve(typeof(WriteOptions), ("WRITE_MODE", "Insert"))).Mode.Should().Be(WriteMode.Insert);
        ((RateLimitOptions)Resolve(typeof(RateLimitOptions), ("RATE_LIMIT_METRICS", "5000"))).MetricsPerSecond.Should().Be(5000);
    }

    /// <summary>
    /// The README's table is the user's view of the settings: each is bound by exactly one options
    /// property, whose initial value is the default the table states.
    /// </summary>
    [Fact]
    public void Every_documented_setting_has_one_home_whose_default_the_readme_states()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var table = readme[readme.IndexOf("## Configuration", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        var rows = Regex.Matches(table, @"^\| `([A-Z_]+)` \| ([^|]+) \|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        var homes = Layers.SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetProperties().Select(p => (Type: t, Property: p, Key: p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name)))
            .Where(h => h.Key is not null)
            .ToLookup(h => h.Key!);

        rows.Should().HaveCountGreaterThan(20);
        foreach (var (key, documented) in rows.Where(r => r.Key != "ENVIRONMENT")) // chosen before the host exists
        {
            homes[key].Should().ContainSingle($"{key} is bound by one options property");
            var home = homes[key].Single();
            var initial = home.Property.GetValue(Activator.CreateInstance(home.Type));
            if (initial is not null && documented.StartsWith('`'))
            {
                documented.Trim('`').Should().Be(initial.ToString()!.ToLowerInvariant(), $"the README states {key}'s default");
            }
        }

        homes.Select(h => h.Key).Except(rows.Keys).Should().BeSubsetOf(["urls", "TRACING", "OTEL_EXPORTER_OTLP_ENDPOINT"], "the others are in the table");
    }

    private static object Resolve(Type options, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        typeof(SettingsRegistration).GetMethod(nameof(SettingsRegistration.AddSettings))!.MakeGenericMethod(options).Invoke(null, [services, configuration]);
        using var provider = services.BuildServiceProvider();
        var accessor = provider.GetRequiredService(typeof(IOptions<>).MakeGenericType(options));
        try
        {
            return accessor.GetType().GetProperty("Value")!.GetValue(accessor)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MetricService.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("MetricService.sln not found above the test assembly.");
    }
}
