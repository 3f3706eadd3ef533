using Npgsql;
using Respawn;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// One API host for the collection. The database is migrated by the host's own start-up and
/// emptied once with Respawn; tests then isolate themselves by writing to fresh run ids.
/// </summary>
public sealed class ApiFixture : IStorageFixture, IAsyncLifetime
{
    public ApiFactory Factory { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public Db Db => Db.Postgres;

    public Task SettleAsync() => Task.CompletedTask; // nothing runs in the background on PostgreSQL

    public async Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        await using var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString);
        await connection.OpenAsync();
        var respawner = await Respawner.CreateAsync(connection, new RespawnerOptions
        {
            DbAdapter = DbAdapter.Postgres,
            SchemasToInclude = ["public"],
            TablesToIgnore = ["__EFMigrationsHistory"],
        });
        await respawner.ResetAsync(connection);
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
