using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Metrics.Infrastructure.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without the API host or a database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<MetricsDbContext>
{
    public MetricsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<MetricsDbContext>()
            .UseNpgsql("Host=localhost;Database=metrics_design")
            .Options);
}
