using Metrics.Domain.Common;

namespace Metrics.Domain.Runs;

/// <summary>What describes a run: a display name, tags, a config object and a status.</summary>
public static class RunRules
{
    public const int MaxNameLength = 200;

    public const int MaxTags = 32;

    public const int MaxTagLength = 64;

    /// <summary>Serialized JSON size limit of a run's config (its hyper-parameters).</summary>
    public const int MaxConfigBytes = 64 * 1024;

    public const string Running = "running";
    public const string Finished = "finished";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> Statuses = [Running, Finished, Failed];

    /// <summary>Names and tags are shown in tables and legends (see <see cref="DisplayText"/>).</summary>
    public static bool IsValidName(string? name) => DisplayText.IsValid(name, MaxNameLength);

    /// <summary>A tag also has no ',' (tags are listed comma-separated) and no space.</summary>
    public static bool IsValidTag(string? tag) => DisplayText.IsValid(tag, MaxTagLength) && !tag!.Contains(',') && !tag.Contains(' ');

    public static bool IsValidStatus(string? status) => status is not null && Statuses.Contains(status);
}
