using Microsoft.Extensions.Logging;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// Quiet when green: the in-memory hosts log to <c>$TEST_RESULTS_DIR/server.log</c> instead of the
/// console, between each test's start and end marks (<see cref="ServerLogMarkersAttribute"/>);
/// <c>./build/test</c> shows a test's lines only when it fails.
/// </summary>
internal sealed class ServerLog : ILoggerProvider
{
    private static readonly Lock Gate = new();
    private static readonly StreamWriter? Writer = Open();

    public static ServerLog Instance { get; } = new();

    private static StreamWriter? Open()
    {
        var directory = Environment.GetEnvironmentVariable("TEST_RESULTS_DIR");
        return string.IsNullOrEmpty(directory)
            ? null
            : new StreamWriter(Path.Combine(directory, "server.log"), append: true) { AutoFlush = true };
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    /// <summary>A line <c>=== start|end Namespace.Class.Method</c>, as build/test-logs looks for it.</summary>
    public static void Mark(string what, System.Reflection.MethodInfo test)
    {
        if (Writer is null)
        {
            return;
        }

        lock (Gate)
        {
            Writer.WriteLine($"=== {what} {test.DeclaringType?.FullName}.{test.Name}");
        }
    }

    public void Dispose()
    {
        // Shared by every host of the run; the process exit closes the file.
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => Writer is not null && logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}";
            lock (Gate)
            {
                Writer!.WriteLine(line);
            }
        }
    }
}
