namespace Metrics.Api.IntegrationTests.Support;

/// <summary>Two API instances on real Kestrel ports, sharing the test PostgreSQL and Redis.</summary>
public sealed class LiveFixture : IAsyncLifetime
{
    public ApiFactory A { get; } = new(kestrel: true);

    public ApiFactory B { get; } = new(kestrel: true);

    public HttpClient ClientA { get; private set; } = null!;

    public HttpClient ClientB { get; private set; } = null!;

    public Task InitializeAsync()
    {
        ClientA = A.CreateClient();
        ClientB = B.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
