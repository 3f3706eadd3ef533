namespace Metrics.Domain.Metrics;

/// <summary>The rules every metric point obeys, shared by validation and the entity itself.</summary>
public static class MetricRules
{
    public const int MaxNameLength = 250;

    /// <summary>Serialized JSON size limit for a point's metadata object.</summary>
    public const int MaxMetadataBytes = 4096;

    /// <summary>
    /// 1–250 characters of letters, digits, '_', '-', '.', '/' and space, not starting or
    /// ending with a space (names travel in URLs, where edge spaces are invisible).
    /// </summary>
    public static bool IsValidName(string? name)
    {
        // "." and ".." are dot segments of a URL: no client can send them as /metrics/{name}.
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name[0] == ' ' || name[^1] == ' ' || name is "." or "..")
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or ' '))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidStep(long? step) => step is null or >= 0;

    /// <summary>
    /// A JSON number literal that a double holds as written, near enough: finite (not 1e400), and
    /// not a non-zero literal that would become 0 (1e-400). Such values are refused, not altered.
    /// </summary>
    public static bool IsRepresentableNumber(ReadOnlySpan<char> literal)
    {
        if (!double.TryParse(literal, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            return false;
        }

        var exponent = literal.IndexOfAny('e', 'E');
        return value != 0 || !(exponent < 0 ? literal : literal[..exponent]).ContainsAnyInRange('1', '9');
    }

    /// <summary>Point times must lie from here on (a point before 1970 is a clock or unit error).</summary>
    public static readonly DateTime EarliestTime = DateTime.UnixEpoch;
}
