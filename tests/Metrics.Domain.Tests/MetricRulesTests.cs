using Metrics.Domain.Common;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;

namespace Metrics.Domain.Tests;

public sealed class MetricRulesTests
{
    [Theory]
    [InlineData("loss")]
    [InlineData("train/loss")]
    [InlineData("val acc-top.5_x")]
    [InlineData("Genauigkeit/über")]
    [InlineData("a")]
    public void Accepts_names_of_letters_digits_and_separators(string name) =>
        MetricRules.IsValidName(name).Should().BeTrue();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" loss")]
    [InlineData("loss ")]
    [InlineData("loss;drop")]
    [InlineData("loss%2F")]
    [InlineData("a:b")]
    [InlineData("tab\there")]
    public void Rejects_other_names(string? name) =>
        MetricRules.IsValidName(name).Should().BeFalse();

    [Fact]
    public void Name_length_is_capped_at_250()
    {
        MetricRules.IsValidName(new string('a', 250)).Should().BeTrue();
        MetricRules.IsValidName(new string('a', 251)).Should().BeFalse();
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData(0L, true)]
    [InlineData(long.MaxValue, true)]
    [InlineData(-1L, false)]
    public void Steps_are_absent_or_non_negative_64_bit(long? step, bool valid) =>
        MetricRules.IsValidStep(step).Should().Be(valid);
}

public sealed class MetricTests
{
    private static readonly Guid Run = Guid.NewGuid();

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.MaxValue)]
    public void Keeps_any_double_value(double value) =>
        Metric.Create(Run, "loss", 1, value, DateTimeOffset.UnixEpoch, null).Value.Should().Be(value);

    [Fact]
    public void Stores_time_in_utc_at_microsecond_precision()
    {
        var time = new DateTimeOffset(2024, 5, 1, 14, 0, 0, TimeSpan.FromHours(2)).AddTicks(1234567);

        var metric = Metric.Create(Run, "loss", null, 1, time, null);

        metric.Time.Kind.Should().Be(DateTimeKind.Utc);
        metric.Time.Should().Be(new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234560));
    }

    [Fact]
    public void Refuses_what_validation_should_have_stopped()
    {
        var now = DateTimeOffset.UnixEpoch;
        FluentActions.Invoking(() => Metric.Create(Guid.Empty, "loss", 1, 1, now, null)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Metric.Create(Run, "bad;name", 1, 1, now, null)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => Metric.Create(Run, "loss", -5, 1, now, null)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Normalize_is_idempotent()
    {
        var once = DomainTime.Normalize(DateTimeOffset.UtcNow);
        DomainTime.Normalize(new DateTimeOffset(once)).Should().Be(once);
    }
}

public sealed class SystemMetricTypeTests
{
    [Theory]
    [InlineData("cpu", SystemMetricType.Cpu)]
    [InlineData("cpu_core", SystemMetricType.CpuCore)]
    [InlineData("memory", SystemMetricType.Memory)]
    [InlineData("disk", SystemMetricType.Disk)]
    [InlineData("network_sent", SystemMetricType.NetworkSent)]
    [InlineData("network_recv", SystemMetricType.NetworkRecv)]
    [InlineData("gpu_util", SystemMetricType.GpuUtil)]
    [InlineData("gpu_memory", SystemMetricType.GpuMemory)]
    [InlineData("gpu_temp", SystemMetricType.GpuTemp)]
    [InlineData("gpu_power", SystemMetricType.GpuPower)]
    public void Wire_names_round_trip(string name, SystemMetricType type)
    {
        SystemMetricTypes.TryParse(name, out var parsed).Should().BeTrue();
        parsed.Should().Be(type);
        type.ToName().Should().Be(name);
    }

    [Theory]
    [InlineData("CPU")]
    [InlineData("gpu")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_types_are_rejected(string? name) =>
        SystemMetricTypes.TryParse(name, out _).Should().BeFalse();

    [Fact]
    public void System_metric_keeps_the_wire_name()
    {
        var m = SystemMetric.Create(Guid.NewGuid(), SystemMetricType.GpuTemp, 71, DateTimeOffset.UnixEpoch, "{\"gpu\":1}");
        m.Type.Should().Be("gpu_temp");
        m.Metadata.Should().Be("{\"gpu\":1}");
    }
}
