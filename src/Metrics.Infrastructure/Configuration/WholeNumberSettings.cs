using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Configuration;

/// <summary>Whole-number settings read strictly: a bad value stops the start, naming the setting and what it may be.</summary>
public static class WholeNumberSettings
{
    /// <returns>The value, or null when the setting is unset or blank.</returns>
    /// <param name="note">Appended to the range in the error, e.g. " (0 turns the limit off)".</param>
    public static int? GetWholeNumber(this IConfiguration configuration, string key, int min, int max = int.MaxValue, string note = "")
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        var range = max == int.MaxValue ? $"≥ {min}" : $"from {min} to {max}";
        throw new InvalidOperationException($"{key} must be a whole number {range}{note}, not '{text}'.");
    }
}
