using System.Diagnostics;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>
/// The crash tests' fault injection (<c>MarketMaker:Testing:CrashAt</c>): at the configured point of the order lifecycle
/// the process kills itself with SIGKILL, so nothing after it runs, no finally block, no graceful stop, no cancel on exit.
/// </summary>
internal static class CrashHook
{
    public static void At(CrashPoint configured, CrashPoint point, string detail)
    {
        if (configured == CrashPoint.None || configured != point)
        {
            return;
        }

        // Written synchronously: a logger's background queue would die with the process.
        Console.Error.WriteLine($"MarketMaker:Testing:CrashAt={point}: killing the engine process now ({detail})");
        Console.Error.Flush();
        using (var self = Process.GetCurrentProcess())
        {
            // kill(2) of the calling process delivers SIGKILL before it returns.
            self.Kill();
        }

        Environment.FailFast($"MarketMaker:Testing:CrashAt={point}: the process survived its own SIGKILL");
    }
}
