using System.Text.Json;
using Metrics.Api.Wire;

namespace Metrics.Api.Tests;

/// <summary>The reader's own parse (the fast path) gives what the culture-aware parse gives, for every form we accept.</summary>
public sealed class UtcTimeConverterTests
{
    private static readonly JsonSerializerOptions Options = new() { Converters = { new UtcDateTimeOffsetConverter() } };

    [Theory]
    [InlineData("2024-05-01T12:00:00Z")]
    [InlineData("2024-05-01T12:00:00.123456Z")]
    [InlineData("2024-05-01T12:00:00.1234567Z")]
    [InlineData("2024-05-01T12:00:00.1234567")]
    [InlineData("2024-05-01T12:00:00")]
    [InlineData("2024-05-01T12:00")]
    [InlineData("2024-05-01")]
    [InlineData("2024-05-01T12:00:00.5+02:00")]
    [InlineData("2024-05-01T01:00:00-05:30")]
    [InlineData("2024-12-31T23:59:59.999999-14:00")]
    [InlineData("2024-05-01T12:00:00.123456789Z")]
    [InlineData("2024-05-01T12:00:00.12345678901+01:00")]
    public void Every_accepted_form_reads_as_the_same_utc_instant(string text)
    {
        var read = JsonSerializer.Deserialize<DateTimeOffset>($"\"{text}\"", Options);

        read.Should().Be(UtcDateTimeOffsetConverter.Parse(text));
        read.Offset.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void Digits_past_the_seventh_are_cut_not_rounded_and_a_time_without_offset_is_utc()
    {
        JsonSerializer.Deserialize<DateTimeOffset>("\"2024-05-01T12:00:00.99999999\"", Options)
            .Should().Be(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(9_999_999));
        JsonSerializer.Deserialize<DateTimeOffset>("\"2024-05-01T14:00:00.5+02:00\"", Options)
            .Should().Be(new DateTimeOffset(2024, 5, 1, 12, 0, 0, 500, TimeSpan.Zero));
    }
}
