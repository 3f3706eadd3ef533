using Metrics.Infrastructure.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Metrics.Api.IntegrationTests;

/// <summary>Schema creation from nothing, by instances that start at the same moment.</summary>
[Collection(ApiCollection.Name)]
public sealed class MigrationTests
{
    [Fact]
    public async Task Two_instances_starting_together_on_an_empty_database_both_come_up_with_one_schema()
    {
        var database = $"metrics_migrate_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE DATABASE {database}");
        try
        {
            var url = new NpgsqlConnectionStringBuilder(TestEnvironment.DatabaseConnectionString) { Database = database }.ConnectionString;
            await using (var first = new ApiFactory(databaseUrl: url))
            await using (var second = new ApiFactory(databaseUrl: url))
            {
                // CreateClient starts each host, which migrates before it serves.
                var clients = await Task.WhenAll(Task.Run(first.CreateClient), Task.Run(second.CreateClient));

                foreach (var client in clients)
                {
                    (await client.GetAsync("/health")).IsSuccessStatusCode.Should().BeTrue();
                }
            }

            await using var connection = new NpgsqlConnection(url);
            await connection.OpenAsync();
            await using var history = new NpgsqlCommand("""SELECT count(*) FROM "__EFMigrationsHistory" """, connection);
            var migrations = typeof(MetricsDbContext).Assembly.GetTypes()
                .Count(t => t.IsSubclassOf(typeof(Microsoft.EntityFrameworkCore.Migrations.Migration)));
            migrations.Should().BeGreaterThan(0);
            ((long)(await history.ExecuteScalarAsync())!).Should().Be(migrations, "each migration was applied once");
            await using var tables = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE tablename IN ('series', 'points', 'system_metrics')", connection);
            ((long)(await tables.ExecuteScalarAsync())!).Should().Be(3);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
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

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
