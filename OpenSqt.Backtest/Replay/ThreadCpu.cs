using System.Globalization;

namespace OpenSqt.Backtest.Replay;

/// <summary>
/// The processor time the calling thread has used, from Linux's <c>/proc/thread-self/schedstat</c> (its first field: time
/// spent running, in nanoseconds; see the kernel's Documentation/scheduler/sched-stats.rst). The event loop of a replay
/// runs on one thread without awaiting, so two readings around it measure its own work, not the time it waited for a core.
/// </summary>
internal static class ThreadCpu
{
    private const string Path = "/proc/thread-self/schedstat";

    /// <summary>Seconds of processor time of this thread; null where the system does not tell it.</summary>
    public static double? Now()
    {
        try
        {
            var text = File.ReadAllText(Path);
            var end = text.IndexOf(' ', StringComparison.Ordinal);
            return end > 0 && long.TryParse(text.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds) ? nanoseconds / 1e9 : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
