using Metrics.Domain.Runs;

namespace Metrics.Application.Runs;

/// <summary>How a run's fields are worded in 400s, whether they are written or filtered on.</summary>
internal static class DescribeRunMessages
{
    public static readonly string Name =
        $"'name' must be 1-{RunRules.MaxNameLength} characters without control or invisible formatting characters, and no edge spaces.";

    public static readonly string Tags =
        $"'tags' holds at most {RunRules.MaxTags} tags of 1-{RunRules.MaxTagLength} characters, without spaces, commas or control characters.";

    public static readonly string Status = $"'status' is one of: {string.Join(", ", RunRules.Statuses)}.";

    public static readonly string Config =
        $"'config' must be a JSON object (or null) of at most {RunRules.MaxConfigBytes} bytes (UTF-8), with unique keys, "
        + "numbers within double's range, and text without \\u0000 or unpaired UTF-16 surrogates.";
}
