using System.Text.Json;
using FluentValidation.TestHelper;
using Metrics.Application.Common;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Domain.Metrics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Metrics.Application.Tests;

public sealed class WriteMetricBatchValidatorTests
{
    private static readonly Guid Run = Guid.NewGuid();

    private readonly WriteMetricBatchCommandValidator _validator = new(Options.Create(new IngestOptions { MaxBatchSize = 5 }), new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)));

    static WriteMetricBatchValidatorTests() => ValidationConventions.Apply();

    private static MetricInput Valid(string name = "loss") => new(Run, name, 1, 0.5, null, null);

    [Fact]
    public void A_valid_batch_passes() =>
        _validator.TestValidate(new WriteMetricBatchCommand([Valid(), Valid("acc")])).ShouldNotHaveAnyValidationErrors();

    [Fact]
    public void Failures_name_the_item_and_the_field_in_snake_case()
    {
        var result = _validator.TestValidate(new WriteMetricBatchCommand([Valid(), Valid(), Valid() with { RunId = null, MetricName = "bad;name" }]));

        result.Errors.Select(e => e.PropertyName).Should().BeEquivalentTo(["metrics[2].run_id", "metrics[2].metric_name"]);
    }

    [Fact]
    public void Missing_value_and_negative_step_are_errors() =>
        _validator.TestValidate(new WriteMetricBatchCommand([Valid() with { Value = null, Step = -1 }]))
            .Errors.Select(e => e.PropertyName).Should().BeEquivalentTo(["metrics[0].value", "metrics[0].step"]);

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Batch_size_is_one_to_the_configured_maximum(int count) =>
        _validator.TestValidate(new WriteMetricBatchCommand(Enumerable.Range(0, count).Select(_ => (MetricInput?)Valid()).ToList()))
            .ShouldHaveValidationErrorFor("metrics");

    [Fact]
    public void Missing_metrics_and_null_items_are_errors()
    {
        _validator.TestValidate(new WriteMetricBatchCommand(null)).ShouldHaveValidationErrorFor("metrics");
        _validator.TestValidate(new WriteMetricBatchCommand([null])).ShouldHaveValidationErrorFor("metrics[0]");
    }

    [Theory]
    [InlineData("[1,2]", false)]
    [InlineData("\"text\"", false)]
    [InlineData("{\"a\":\"\\u0000\"}", false)]
    [InlineData("{\"gpu\":0}", true)]
    [InlineData("null", true)]
    public void Metadata_is_a_json_object_without_nul(string json, bool valid)
    {
        var result = _validator.TestValidate(new WriteMetricBatchCommand([Valid() with { Metadata = JsonDocument.Parse(json).RootElement }]));
        (result.Errors.Count == 0).Should().Be(valid);
    }

    [Fact]
    public void Oversized_metadata_is_an_error()
    {
        var big = JsonDocument.Parse($"{{\"k\":\"{new string('x', MetricRules.MaxMetadataBytes)}\"}}").RootElement;
        _validator.TestValidate(new WriteMetricBatchCommand([Valid() with { Metadata = big }])).ShouldHaveValidationErrorFor("metrics[0].metadata");
    }
}
