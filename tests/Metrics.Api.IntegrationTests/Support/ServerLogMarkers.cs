using System.Reflection;
using Xunit.Sdk;

[assembly: Metrics.Api.IntegrationTests.Support.ServerLogMarkers]

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// Marks where each test starts and ends in <see cref="ServerLog"/>, so that <c>./build/test</c> can
/// show a failing test the server lines logged while it ran (tests of other classes run alongside,
/// so their lines may be among them).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ServerLogMarkersAttribute : BeforeAfterTestAttribute
{
    public override void Before(MethodInfo methodUnderTest) => ServerLog.Mark("start", methodUnderTest);

    public override void After(MethodInfo methodUnderTest) => ServerLog.Mark("end", methodUnderTest);
}
