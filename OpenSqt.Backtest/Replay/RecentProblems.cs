using Microsoft.Extensions.Logging;

namespace OpenSqt.Backtest.Replay;

/// <summary>
/// The replay's logger factory: everything goes to the factory it wraps, and the last few warnings and errors are kept
/// as well while <see cref="Keeping"/> (the engine's start), so a replay whose engine does not finish starting can say
/// what the engine said. Kept only then: the events' path logs nothing more than the wrapped factory asks for.
/// </summary>
internal sealed class RecentProblems(ILoggerFactory inner) : ILoggerFactory
{
    private const int Kept = 5;
    private readonly Queue<string> _recent = new();
    private readonly Lock _gate = new();
    private volatile bool _keeping = true;

    public bool Keeping
    {
        get => _keeping;
        set => _keeping = value;
    }

    /// <summary>The kept warnings and errors, oldest first, or "none".</summary>
    public string Describe()
    {
        lock (_gate)
        {
            return _recent.Count == 0 ? "none" : string.Join(" | ", _recent);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName, inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The factory it wraps belongs to the caller, who disposes it.
    public void Dispose()
    {
    }

    private void Keep(string line)
    {
        lock (_gate)
        {
            if (_recent.Count == Kept)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(line);
        }
    }

    private sealed class Logger(RecentProblems owner, string category, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => (owner.Keeping && logLevel is >= LogLevel.Warning and < LogLevel.None) || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (owner.Keeping && logLevel is >= LogLevel.Warning and < LogLevel.None)
            {
                owner.Keep($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " (" + exception.Message + ")")}");
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
