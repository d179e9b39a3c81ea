using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OpenSqt.AppHost.Tests;

/// <summary>The AppHost's console log, as a user sees it: every formatted message of the OpenSqt.AppHost categories.</summary>
public sealed class ConsoleCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(DateTimeOffset At, string Line)> _lines = new();

    public IEnumerable<string> Lines => _lines.Select(l => l.Line);

    public string AllText => string.Join('\n', Lines);

    /// <summary>When the first line containing <paramref name="text"/> was written, or null.</summary>
    public DateTimeOffset? WrittenAt(string text) => _lines.FirstOrDefault(l => l.Line.Contains(text, StringComparison.Ordinal)) is { Line: not null } found ? found.At : null;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(DateTimeOffset, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => category.StartsWith("OpenSqt.AppHost", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue((DateTimeOffset.UtcNow, $"{logLevel}: {formatter(state, exception)}"));
            }
        }
    }
}

/// <summary>A PATH like the current one without the directories that hold a container runtime or redis-server.</summary>
public static class FreshMachinePath
{
    public static readonly string[] Hidden = ["docker", "podman", "redis-server"];

    public static string Value() => string.Join(Path.PathSeparator,
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(directory => !Hidden.Any(executable => File.Exists(Path.Combine(directory, executable)))));
}
