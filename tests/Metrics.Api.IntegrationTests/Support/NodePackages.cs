namespace Metrics.Api.IntegrationTests.Support;

/// <summary>tests/js: the Node packages the tests drive (./build/test runs npm ci there).</summary>
internal static class NodePackages
{
    public static string Folder { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../js"));

    /// <summary>Asserts that <paramref name="package"/> is installed, saying how to install it otherwise.</summary>
    public static void ShouldBeInstalled(string package) =>
        File.Exists(Path.Combine(Folder, "node_modules", package, "package.json"))
            .Should().BeTrue($"{package} is installed in {Folder} (./build/test runs npm ci there)");
}
