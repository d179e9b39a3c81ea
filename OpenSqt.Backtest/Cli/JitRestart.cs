using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OpenSqt.Backtest.Cli;

/// <summary>
/// Runs the backtest again in a child process whose runtime compiles the framework's code itself instead of using its
/// precompiled (ReadyToRun) code, and starts counting calls for optimisation at once. A replay runs the same few hundred
/// methods, most of them the framework's (decimal arithmetic, locks, channels, collections), millions of times: compiled
/// here, they get the optimising compiler's code for this processor and, through the tiers, its profile-guided
/// optimisation, done on the other core while the replay runs on. The runtime reads these switches
/// (<c>DOTNET_ReadyToRun</c>, <c>DOTNET_TC_CallCountingDelayMs</c>) only from its environment before it starts, not from
/// the runtimeconfig, hence the child. Measured on the 2-core bench, runs alternating, events/s: a day 259,000-263,000
/// (precompiled framework, no tiers, as before) -> 282,000-305,000; 2 hours 550,000-582,000 -> 636,000-666,000. A user who
/// sets <c>DOTNET_ReadyToRun</c> (to anything) decides for themselves: no child, the run as set.
/// <para>
/// The child costs about 0.8 s more at start than a run in this process (the 14,400-trade sample: 1.4 s against 0.6 s,
/// compiling what the start runs) and saves about 1.7 us per event (a day of 1,000,000: about 300,000 events/s against
/// 200,000), so it pays from about half a million events: it is used for <c>--bench</c> and for data whose size says at
/// least <see cref="MinEvents"/> events.
/// </para>
/// </summary>
internal static class JitRestart
{
    public const string Variable = "DOTNET_ReadyToRun";

    /// <summary>The events from which the child's faster replay pays for its slower start.</summary>
    public const long MinEvents = 500_000;

    /// <summary>How long the runtime waits after a start's burst of compiling before it counts calls (100 ms by default).</summary>
    private const string CallCountingDelay = "DOTNET_TC_CallCountingDelayMs";

    /// <summary>Bytes per trade of a Binance aggTrades CSV (the shipped sample: 708,317 bytes for 14,400 trades).</summary>
    private const long CsvBytesPerEvent = 49;

    /// <summary>Bytes per trade of the same file zipped or gzipped (the shipped sample: 202,901 bytes zipped).</summary>
    private const long PackedBytesPerEvent = 14;

    /// <summary>
    /// Whether this process should hand the run to a child: the switch not set by anyone, and a run big enough (the
    /// bench, or data of at least <see cref="MinEvents"/> events by its size).
    /// </summary>
    public static bool Wanted(IReadOnlyList<string> args) =>
        args.Count > 0
        && !args.Contains("--help")
        && !args.Contains("-h")
        && Environment.GetEnvironmentVariable(Variable) is null
        && Environment.GetEnvironmentVariable("COMPlus_ReadyToRun") is null
        && (args.Contains("--bench") || EstimatedEvents(args) >= MinEvents);

    /// <summary>
    /// The events the <c>--data</c> file or folder holds, estimated from its files' sizes (0 when there is none: the command
    /// itself then says what is wrong).
    /// </summary>
    internal static long EstimatedEvents(IReadOnlyList<string> args)
    {
        var at = -1;
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == "--data")
            {
                at = i + 1;
            }
        }

        if (at < 0)
        {
            return 0;
        }

        var path = args[at];
        IEnumerable<FileInfo> files = Directory.Exists(path)
            ? new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories)
            : File.Exists(path) ? [new FileInfo(path)] : [];
        long events = 0;
        foreach (var file in files)
        {
            var packed = file.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || file.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
            events += file.Length / (packed ? PackedBytesPerEvent : CsvBytesPerEvent);
        }

        return events;
    }

    /// <summary>What the bench prints about the code it ran.</summary>
    public static string Describe() => Environment.GetEnvironmentVariable(Variable) switch
    {
        "0" => $"framework compiled here (DOTNET_ReadyToRun=0, {CallCountingDelay}={Environment.GetEnvironmentVariable(CallCountingDelay) ?? "unset"})",
        null => "framework precompiled (ReadyToRun)",
        var value => $"DOTNET_ReadyToRun={value}",
    };

    /// <summary>Runs the same command line in a child with the switch off and returns its exit code; the child writes to this process's console.</summary>
    public static async Task<int> RunChildAsync(IReadOnlyList<string> args)
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process is unknown");
        var start = new ProcessStartInfo(host) { UseShellExecute = false };

        // Started as `dotnet OpenSqt.Backtest.dll ...` the host needs the assembly again; started as the app's own
        // executable (dotnet run), only the arguments.
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(JitRestart).Assembly.Location);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[Variable] = "0";
        if (Environment.GetEnvironmentVariable(CallCountingDelay) is null)
        {
            start.Environment[CallCountingDelay] = "0";
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");

        // Ctrl+C reaches the child too (same terminal, same process group): this process waits for it to stop. A
        // termination sent to this process alone is passed on as the end of the child.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            try
            {
                child.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        });
        await child.WaitForExitAsync().ConfigureAwait(false);
        return child.ExitCode;
    }
}
