using Metrics.Domain.Runs;

namespace Metrics.Domain.Tests;

public sealed class RunRulesTests
{
    [Theory]
    [InlineData("resnet lr=3e-4")]
    [InlineData("Lauf über Nacht (2)")]
    [InlineData("a")]
    public void A_name_is_any_visible_text(string name) => RunRules.IsValidName(name).Should().BeTrue();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" padded")]
    [InlineData("two\nlines")]
    [InlineData("right\u202Eto left")]
    [InlineData("zero\u200Bwidth")]
    public void A_name_with_edge_spaces_or_hidden_characters_is_refused(string? name) => RunRules.IsValidName(name).Should().BeFalse();

    [Fact]
    public void A_name_is_at_most_200_characters() =>
        (RunRules.IsValidName(new string('x', 200)), RunRules.IsValidName(new string('x', 201))).Should().Be((true, false));

    [Theory]
    [InlineData("baseline", true)]
    [InlineData("sweep-12/lr:3e-4", true)]
    [InlineData("has space", false)]
    [InlineData("a,b", false)]
    [InlineData("", false)]
    public void A_tag_has_no_space_or_comma(string tag, bool valid) => RunRules.IsValidTag(tag).Should().Be(valid);

    [Theory]
    [InlineData("running", true)]
    [InlineData("finished", true)]
    [InlineData("failed", true)]
    [InlineData("Finished", false)]
    [InlineData("done", false)]
    [InlineData(null, false)]
    public void A_status_is_one_of_three(string? status, bool valid) => RunRules.IsValidStatus(status).Should().Be(valid);
}
