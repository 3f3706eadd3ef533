using System.Globalization;

namespace Metrics.Domain.Common;

/// <summary>Text shown in listings, tables and legends (key names, run names, tags).</summary>
public static class DisplayText
{
    /// <summary>
    /// 1 to <paramref name="maxLength"/> characters with no control, format (bidi overrides,
    /// zero-width) or line-separator characters that could fake lines or disguise the text, and no
    /// edge spaces.
    /// </summary>
    public static bool IsValid(string? text, int maxLength) =>
        !string.IsNullOrEmpty(text) && text.Length <= maxLength && text.Trim() == text
        && text.All(c => char.GetUnicodeCategory(c) is not (UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned));
}
