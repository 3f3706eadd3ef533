using Npgsql;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>Direct looks at the tables, to check what was really stored.</summary>
internal static class Db
{
    public static async Task<long> CountMetricsAsync(Guid run) =>
        await ScalarAsync<long>("SELECT count(*) FROM metrics WHERE run_id = @run", run);

    public static async Task<long> CountSystemMetricsAsync(Guid run) =>
        await ScalarAsync<long>("SELECT count(*) FROM system_metrics WHERE run_id = @run", run);

    /// <summary>Writes behind the API's back: neither the cache nor the series summary is told.</summary>
    public static async Task InsertBehindTheApiAsync(Guid run, string name, long step, double value)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "INSERT INTO metrics (run_id, metric_name, step, value, time) VALUES (@run, @name, @step, @value, now())", connection);
        command.Parameters.AddWithValue("run", run);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("step", step);
        command.Parameters.AddWithValue("value", value);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(string sql, Guid run)
    {
        await using var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("run", run);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
