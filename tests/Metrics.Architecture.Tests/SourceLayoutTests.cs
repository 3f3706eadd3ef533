using System.Text.RegularExpressions;

namespace Metrics.Architecture.Tests;

/// <summary>How the source reads to someone finding their way: files named after what they hold.</summary>
public sealed class SourceLayoutTests
{
    /// <summary>A test file is named after its (first) test class; shared helpers live in Support/.</summary>
    [Fact]
    public void Every_test_file_holds_the_class_it_is_named_after()
    {
        var tests = Path.Combine(Repository.Root, "tests");
        var files = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}Support{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != "GlobalUsings.cs")
            .ToList();

        files.Should().HaveCountGreaterThan(30);
        files.Where(f => !Regex.IsMatch(File.ReadAllText(f), $@"\bclass {Regex.Escape(Path.GetFileNameWithoutExtension(f))}\b"))
            .Select(f => Path.GetRelativePath(tests, f))
            .Should().BeEmpty("a test file is named after the class it holds");
    }
}
