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
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name[0] == ' ' || name[^1] == ' ')
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
}
