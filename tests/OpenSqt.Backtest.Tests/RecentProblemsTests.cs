using Microsoft.Extensions.Logging;
using OpenSqt.Backtest.Replay;

namespace OpenSqt.Backtest.Tests;

/// <summary>
/// The replay's logger factory keeps the engine's last warnings and errors while the engine starts (what a replay whose
/// engine does not finish starting reports) and passes every entry on to the factory it wraps as that factory asks.
/// </summary>
public sealed class RecentProblemsTests
{
    [Fact]
    public void TheLastFiveWarningsAndErrorsAreKeptWhileKeepingAndEverythingGoesOnAsTheWrappedFactoryAsks()
    {
        var inner = new Collecting(LogLevel.Information);
        var loggers = new RecentProblems(inner);
        var logger = loggers.CreateLogger("Engine");
        Assert.Equal("none", loggers.Describe());

        logger.LogDebug("not kept, not passed on");
        logger.LogInformation("passed on only");
        for (var i = 1; i <= 6; i++)
        {
            logger.LogWarning("warning {Number}", i);
        }

        logger.LogError(new InvalidOperationException("the venue said no"), "reconcile failed");
        Assert.Equal(
            "Warning Engine: warning 3 | Warning Engine: warning 4 | Warning Engine: warning 5 | Warning Engine: warning 6 | Error Engine: reconcile failed (the venue said no)",
            loggers.Describe());
        Assert.Equal(["passed on only", "warning 1", "warning 2", "warning 3", "warning 4", "warning 5", "warning 6", "reconcile failed"], inner.Lines);

        // Once the engine has started nothing more is kept, and a factory that wants no warnings is not asked to format one.
        loggers.Keeping = false;
        logger.LogWarning("after the start");
        Assert.EndsWith("Error Engine: reconcile failed (the venue said no)", loggers.Describe(), StringComparison.Ordinal);
        var quiet = new RecentProblems(new Collecting(LogLevel.None)) { Keeping = false };
        Assert.False(quiet.CreateLogger("Engine").IsEnabled(LogLevel.Error));
    }

    private sealed class Collecting(LogLevel minimum) : ILoggerFactory, ILogger
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
