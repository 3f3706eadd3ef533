using System.Text.RegularExpressions;

namespace Metrics.Architecture.Tests;

/// <summary>
/// ADR 0027's distribution design for Citus, checked against every SQL statement in the
/// infrastructure layer's source (migrations aside): each statement on a distributed table names its
/// distribution column where it filters, joins, groups or inserts; no statement joins tables of two
/// colocation groups; every upsert's conflict target holds the distribution column; and a table
/// the design does not know fails the test until the ADR places it. Citus itself is not installable
/// here: what a real Citus run must still confirm is in the ADR.
/// </summary>
public sealed partial class CitusDistributionTests
{
    // Table → (distribution column, colocation group); null column: a reference table (on every node).
    private static readonly Dictionary<string, (string? Column, string Group)> Design = new(StringComparer.Ordinal)
    {
        ["points"] = ("series_id", "points"),
        ["runs"] = ("run_id", "runs"),
        ["run_projects"] = ("run_id", "runs"),
        ["metric_summaries"] = ("run_id", "runs"),
        ["metric_rollups"] = ("run_id", "runs"),
        ["metric_rollups_coarse"] = ("run_id", "runs"),
        ["system_metrics"] = ("run_id", "runs"),
        ["idempotency_keys"] = ("scope", "idempotency"),
        ["series"] = (null, "reference"),
        ["api_keys"] = (null, "reference"),
    };

    // Words after FROM, JOIN or UPDATE that name no table: COPY … FROM STDIN, extract(epoch FROM …), JOIN LATERAL, DO UPDATE SET.
    private static readonly HashSet<string> NotTables = ["stdin", "epoch", "lateral", "set"];

    // Only where TimescaleDB runs (which Citus does not run beside), or once before a database is
    // distributed: the policies of TimescaleDB, and the upgrade from the first storage layout.
    private static readonly string[] OutsideTheDesign = ["StoragePolicies.cs", "StorageUpgrade.cs"];

    // A fragment, not a statement: composed into GetTimeBucketsAsync's, which filters on series_id.
    private const string FragmentOfAFilteredStatement = "FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM points) p";

    [Fact]
    public void Every_statement_stays_within_the_distribution_design()
    {
        var statements = Statements().ToList();
        statements.Should().HaveCountGreaterThan(25, "the scan finds the service's SQL");

        var problems = new List<string>();
        foreach (var (file, sql) in statements)
        {
            foreach (var problem in Check(sql))
            {
                problems.Add($"{file}: {problem}: {Shorten(sql)}");
            }
        }

        problems.Should().BeEmpty();
    }

    [Fact]
    public void The_check_refuses_what_the_design_does_not_allow()
    {
        Check("SELECT count(*) FROM points").Should().ContainSingle().Which.Should().Contain("series_id");
        Check("SELECT s.run_id FROM metric_summaries s JOIN points p ON p.series_id = 1 WHERE s.run_id = $1").Should().Contain(p => p.Contains("colocation"));
        Check("INSERT INTO metric_summaries (metric_name) VALUES ($1) ON CONFLICT (metric_name) DO NOTHING").Should().HaveCount(2);
        Check("SELECT 1 FROM experiments WHERE id = 1").Should().ContainSingle().Which.Should().Contain("not in the design");
        Check("SELECT latest_step FROM metric_summaries WHERE run_id = $1 AND metric_name = $2").Should().BeEmpty();
        Check("SELECT step FROM metric_rollups WHERE run_id = $1 UNION ALL SELECT step FROM points WHERE series_id = $2").Should().BeEmpty("each leg is a query of its own");
    }

    private static IEnumerable<string> Check(string sql)
    {
        var text = Regex.Replace(sql, "--[^\n]*", " ");

        // The legs of a UNION are planned apart (each a query of its own on the nodes that hold it),
        // so each leg is checked alone; a join is not, so all it joins is checked together.
        foreach (var leg in Regex.Split(text, @"\bUNION(\s+ALL)?\b", RegexOptions.IgnoreCase).Where(l => !Regex.IsMatch(l, @"^\s*(ALL)?\s*$", RegexOptions.IgnoreCase)))
        {
            foreach (var problem in CheckLeg(leg))
            {
                yield return problem;
            }
        }

        foreach (Match conflict in Regex.Matches(text, @"ON CONFLICT\s*\((?<target>[^)]*)\)", RegexOptions.IgnoreCase))
        {
            var into = Regex.Match(text, @"INSERT INTO\s+(?<table>\w+)", RegexOptions.IgnoreCase).Groups["table"].Value;
            if (Design.TryGetValue(into, out var d) && d.Column is { } column && !Regex.IsMatch(conflict.Groups["target"].Value, $@"\b{column}\b"))
            {
                yield return $"the conflict target of '{into}' lacks its distribution column {column} (a unique key must hold it)";
            }
        }
    }

    private static IEnumerable<string> CheckLeg(string text)
    {
        var named = CommonTable().Matches(text).Select(m => m.Groups["name"].Value.ToLowerInvariant()).ToHashSet();
        var tables = TableReference().Matches(text).Select(m => m.Groups["table"].Value.ToLowerInvariant())
            .Where(t => !NotTables.Contains(t) && !named.Contains(t) && !t.StartsWith("pg_", StringComparison.Ordinal)).Distinct().ToList();
        foreach (var table in tables.Where(t => !Design.ContainsKey(t)))
        {
            yield return $"table '{table}' is not in the design (ADR 0027)";
        }

        var distributed = tables.Where(Design.ContainsKey).Select(t => (Table: t, Design[t].Column, Design[t].Group)).Where(t => t.Column is not null).ToList();
        if (distributed.Select(t => t.Group).Distinct().Count() > 1)
        {
            yield return $"joins tables of different colocation groups ({string.Join(", ", distributed.Select(t => $"{t.Table}: {t.Group}"))})";
        }

        foreach (var (table, column, _) in distributed)
        {
            // Inserted with it, or filtered, joined or grouped on it.
            var onColumn = Regex.IsMatch(text, $@"\b(INTO|COPY)\s+{table}\b(\s+AS\s+\w+)?\s*\([^)]*\b{column}\b", RegexOptions.IgnoreCase)
                || Regex.IsMatch(text, $@"\b(WHERE|AND|ON|USING|GROUP BY)\b[^;]*?\b(\w+\.)?{column}\b", RegexOptions.IgnoreCase);
            if (!onColumn)
            {
                yield return $"'{table}' is distributed by {column}, which the statement neither filters, joins, groups nor inserts on";
            }
        }
    }

    /// <summary>The SQL in the infrastructure layer's source: raw string literals and one-line strings that start with a statement.</summary>
    private static IEnumerable<(string File, string Sql)> Statements()
    {
        var source = Path.Combine(Repository.Root, "src", "Metrics.Infrastructure");
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !OutsideTheDesign.Contains(Path.GetFileName(f))))
        {
            var code = File.ReadAllText(file);
            var literals = RawLiteral().Matches(code).Select(m => m.Groups["sql"].Value)
                .Concat(LineLiteral().Matches(code).Select(m => m.Groups["sql"].Value));
            foreach (var sql in literals.Where(l => SqlWord().IsMatch(l) && !l.Contains("redis.call", StringComparison.Ordinal)))
            {
                if (!Regex.Replace(sql, @"\s+", " ").Contains(FragmentOfAFilteredStatement, StringComparison.Ordinal))
                {
                    yield return (Path.GetFileName(file), sql);
                }
            }
        }
    }

    private static string Shorten(string sql)
    {
        var line = Regex.Replace(sql, @"\s+", " ").Trim();
        return line.Length <= 160 ? line : line[..160] + "…";
    }

    // Read from: not a column (FROM s.bucket in extract()) nor a function (FROM unnest(…)); and
    // not a parameter named from (@from).
    [GeneratedRegex(@"(?<![@\w])(?:(?:FROM|JOIN)\s+(?<table>[A-Za-z_]\w*)\b(?!\s*[.(])|(?:INTO|UPDATE|COPY)\s+(?<table>[A-Za-z_]\w*)\b)", RegexOptions.IgnoreCase)]
    private static partial Regex TableReference();

    // The names a statement gives its own parts: WITH name AS (…), name AS (…).
    [GeneratedRegex(@"(\bWITH|,)\s*(?<name>\w+)\s+AS\s*(NOT\s+)?(MATERIALIZED\s+)?\(", RegexOptions.IgnoreCase)]
    private static partial Regex CommonTable();

    [GeneratedRegex("\\$*\"\"\"(?<sql>.*?)\"\"\"", RegexOptions.Singleline)]
    private static partial Regex RawLiteral();

    [GeneratedRegex("\\$?\"(?<sql>(SELECT|INSERT|UPDATE|DELETE|COPY|WITH) [^\"]*)\"")]
    private static partial Regex LineLiteral();

    [GeneratedRegex(@"\b(SELECT|INSERT|UPDATE|DELETE|COPY)\b")]
    private static partial Regex SqlWord();
}
