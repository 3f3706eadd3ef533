using Metrics.Infrastructure.Persistence;
using Microsoft.Extensions.Options;

namespace Metrics.Api.IntegrationTests;

/// <summary>Schema creation from nothing, by instances that start at the same moment.</summary>
[Collection(ApiCollection.Name)]
public sealed class MigrationTests
{
    [Fact]
    public async Task Two_instances_starting_together_on_an_empty_database_both_come_up_with_one_schema()
    {
        await using var database = await ScratchDatabase.CreateAsync("migrate");
        await using (var first = new ApiFactory(databaseUrl: database.Url))
        await using (var second = new ApiFactory(databaseUrl: database.Url))
        {
            // CreateClient starts each host, which migrates before it serves.
            var clients = await Task.WhenAll(Task.Run(first.CreateClient), Task.Run(second.CreateClient));

            foreach (var client in clients)
            {
                (await client.GetAsync("/health")).IsSuccessStatusCode.Should().BeTrue();
            }
        }

        var migrations = typeof(MetricsDbContext).Assembly.GetTypes()
            .Count(t => t.IsSubclassOf(typeof(Microsoft.EntityFrameworkCore.Migrations.Migration)));
        migrations.Should().BeGreaterThan(0);
        (await database.ScalarAsync("""SELECT count(*) FROM "__EFMigrationsHistory" """)).Should().Be(migrations, "each migration was applied once");
        (await database.ScalarAsync("SELECT count(*) FROM pg_tables WHERE tablename IN ('series', 'points', 'system_metrics')")).Should().Be(3);
    }

    [Theory]
    [InlineData("RETENTION_DAYS", "30d")]
    [InlineData("RETENTION_DAYS", "0")]
    [InlineData("COMPRESS_AFTER_DAYS", "-1")]
    [InlineData("CHUNK_INTERVAL_HOURS", "0")]
    public void A_bad_storage_setting_stops_the_start_naming_the_setting(string key, string value)
    {
        using var factory = new ApiFactory(settings: new Dictionary<string, string> { [key] = value });

        var start = () => factory.CreateClient();

        start.Should().Throw<OptionsValidationException>().WithMessage($"*{key} must be a whole number*");
    }
}
