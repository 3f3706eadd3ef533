using System.Reflection;
using Mediator;

namespace Metrics.Architecture.Tests;

/// <summary>The dependency rule of the layers, checked on the compiled assemblies.</summary>
public sealed class LayerTests
{
    private static readonly Assembly Domain = typeof(Metrics.Domain.Metrics.Metric).Assembly;
    private static readonly Assembly Application = typeof(Metrics.Application.DependencyInjection).Assembly;
    private static readonly Assembly Infrastructure = typeof(Metrics.Infrastructure.DependencyInjection).Assembly;
    private static readonly Assembly Api = typeof(Metrics.Api.DependencyInjection).Assembly;

    public static TheoryData<string, string> ForbiddenReferences => new()
    {
        { "Metrics.Domain", "Metrics." },
        { "Metrics.Domain", "Microsoft." },
        { "Metrics.Domain", "Mediator" },
        { "Metrics.Application", "Metrics.Infrastructure" },
        { "Metrics.Application", "Metrics.Api" },
        { "Metrics.Application", "Microsoft.EntityFrameworkCore" },
        { "Metrics.Application", "Microsoft.AspNetCore" },
        { "Metrics.Application", "Npgsql" },
        { "Metrics.Application", "StackExchange.Redis" },
        { "Metrics.Infrastructure", "Metrics.Api" },
    };

    [Theory]
    [MemberData(nameof(ForbiddenReferences))]
    public void Inner_layers_do_not_reference_outer_ones(string assembly, string forbiddenPrefix)
    {
        var subject = new[] { Domain, Application, Infrastructure, Api }.Single(a => a.GetName().Name == assembly);

        var offending = subject.GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(name => name.StartsWith(forbiddenPrefix, StringComparison.Ordinal))
            .ToList();

        offending.Should().BeEmpty($"{assembly} must not depend on {forbiddenPrefix}*");
    }

    [Fact]
    public void The_rule_checker_sees_real_references()
    {
        // Guards the test above against passing vacuously (e.g. if references were not loaded).
        Api.GetReferencedAssemblies().Select(r => r.Name).Should().Contain(["Metrics.Application", "Metrics.Infrastructure"]);
        Application.GetReferencedAssemblies().Select(r => r.Name).Should().Contain("Metrics.Domain");
    }

    [Fact]
    public void Commands_and_queries_are_sealed_records()
    {
        var messages = Application.GetTypes()
            .Where(t => !t.IsAbstract && (typeof(IBaseCommand).IsAssignableFrom(t) || typeof(IBaseQuery).IsAssignableFrom(t)))
            .ToList();

        messages.Should().NotBeEmpty();
        messages.Should().OnlyContain(t => t.IsSealed && t.GetMethod("<Clone>$") != null, "commands and queries are sealed records");
    }

    [Fact]
    public void Handlers_and_validators_are_internal_sealed()
    {
        var types = Application.GetTypes()
            .Where(t => !t.IsAbstract && (t.Name.EndsWith("Handler", StringComparison.Ordinal) || t.Name.EndsWith("Validator", StringComparison.Ordinal)))
            .Where(t => t.Namespace?.StartsWith("Metrics.Application", StringComparison.Ordinal) == true)
            .ToList();

        types.Should().HaveCountGreaterThan(10);
        types.Should().OnlyContain(t => t.IsSealed && !t.IsPublic, "handlers and validators are internal sealed");
    }

    [Fact]
    public void Controllers_only_depend_on_the_sender()
    {
        var controllers = Api.GetTypes().Where(t => t.Name.EndsWith("Controller", StringComparison.Ordinal)).ToList();

        controllers.Should().NotBeEmpty();
        foreach (var controller in controllers)
        {
            controller.GetConstructors().Single().GetParameters().Select(p => p.ParameterType)
                .Should().Equal([typeof(ISender)], $"{controller.Name} only dispatches to the mediator");
        }
    }
}
