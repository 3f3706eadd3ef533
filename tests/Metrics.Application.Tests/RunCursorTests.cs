using Metrics.Application.Common.Models;

namespace Metrics.Application.Tests;

public sealed class RunCursorTests
{
    [Fact]
    public void A_cursor_round_trips_to_the_tick_and_is_safe_in_a_url()
    {
        var cursor = new RunCursor(new DateTime(2026, 12, 5, 23, 59, 59, DateTimeKind.Utc).AddTicks(1234567), Guid.NewGuid());

        var text = cursor.ToString();

        text.Should().MatchRegex("^[A-Za-z0-9_-]+$");
        RunCursor.TryParse(text, out var parsed).Should().BeTrue();
        parsed.Should().Be(cursor);
        parsed!.LastActivity.Kind.Should().Be(DateTimeKind.Utc);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a cursor")]
    [InlineData("MTIzOnh5eg")] // "123:xyz": no run id
    [InlineData("LTE6MDAwMDAwMDAwMDAwNDAwMDgwMDAwMDAwMDAwMDAwMDE")] // a negative tick count
    [InlineData("OTk5OTk5OTk5OTk5OTk5OTk5OTowMDAwMDAwMDAwMDA0MDAwODAwMDAwMDAwMDAwMDAwMQ")] // ticks past DateTime's range
    public void Anything_else_is_not_a_cursor(string? text) => RunCursor.TryParse(text, out _).Should().BeFalse();

    [Fact]
    public void A_cursor_too_long_to_be_ours_is_refused_before_decoding() =>
        RunCursor.TryParse(new string('A', 101), out _).Should().BeFalse();
}
