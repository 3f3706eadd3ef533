using Metrics.Api.Live;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Moq;

namespace Metrics.Api.Tests;

public sealed class LiveShutdownTests
{
    [Theory]
    [InlineData("/hubs/metrics/negotiate", false, StatusCodes.Status204NoContent)]
    [InlineData("/ws/metrics/0b7c8f9e-4f7a-4a43-9d2c-1f0d2f3e4a5b", false, StatusCodes.Status204NoContent)]
    [InlineData("/hubs/metrics/negotiate", true, StatusCodes.Status503ServiceUnavailable)]
    [InlineData("/hubs/metrics", true, StatusCodes.Status503ServiceUnavailable)]
    [InlineData("/ws/metrics/0b7c8f9e-4f7a-4a43-9d2c-1f0d2f3e4a5b", true, StatusCodes.Status503ServiceUnavailable)]
    [InlineData("/hubs/metrics?id=pRxGRTYS9YDMGHULUoe1oQ", true, StatusCodes.Status204NoContent)]
    [InlineData("/api/v1/metrics/batch", true, StatusCodes.Status204NoContent)]
    [InlineData("/hubsx", true, StatusCodes.Status204NoContent)]
    public async Task While_shutting_down_new_live_connections_are_refused_and_everything_else_served(string path, bool stopping, int expected)
    {
        var lifetime = new Mock<IHostApplicationLifetime>();
        lifetime.Setup(l => l.ApplicationStopping).Returns(new CancellationToken(stopping));
        var services = new ServiceCollection().AddLogging().AddSingleton(lifetime.Object).AddSingleton<LiveShutdown>().BuildServiceProvider();
        var pipeline = new ApplicationBuilder(services).UseLiveShutdown();
        pipeline.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
        var context = new DefaultHttpContext { RequestServices = services };
        var query = path.IndexOf('?', StringComparison.Ordinal);
        context.Request.Path = query < 0 ? path : path[..query];
        context.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(path[query..]);
        context.Response.Body = new MemoryStream();

        await pipeline.Build()(context);

        context.Response.StatusCode.Should().Be(expected);
        if (expected == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter.ToString().Should().Be("1");
            context.Response.ContentType.Should().Be("application/problem+json");
        }
    }
}
