using Npgsql;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>A database of its own on the test server, for a test that needs it empty or old; dropped afterwards.</summary>
public sealed class ScratchDatabase : IAsyncDisposable
{
    private readonly string _name;

    private ScratchDatabase(string purpose) => _name = $"metrics_{purpose}_{Guid.NewGuid():N}";

    public string Url => new NpgsqlConnectionStringBuilder(TestEnvironment.DatabaseConnectionString) { Database = _name }.ConnectionString;

    public static async Task<ScratchDatabase> CreateAsync(string purpose)
    {
        var database = new ScratchDatabase(purpose);
        await AdminAsync($"CREATE DATABASE {database._name}");
        return database;
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Url);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }

    private static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
