using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OpenSqt.Backtest.Cli;

/// <summary>
/// Runs the backtest again in a child process whose runtime compiles every method itself at full optimisation instead of
/// using the framework's precompiled (ReadyToRun) code. The project turns tiered compilation off (see the csproj), and
/// without tiers precompiled code is never replaced: the framework's decimal arithmetic, locks, channels and collections,
/// which a replay runs millions of times, would stay in code built for any x64 processor. The runtime reads the switch
/// (<c>DOTNET_ReadyToRun</c>) only from its environment before it starts, not from the runtimeconfig, hence the child.
/// Measured on the 2-core day bench, 3 runs each alternating: 155,000-160,000 -> 204,000-213,000 events/s (7.0-7.3 ->
/// 6.5-6.7 us of processor time per event), for about a second more at start (every method the start runs is compiled).
/// A user who sets <c>DOTNET_ReadyToRun</c> (to anything) decides for themselves: no child, the run as set.
/// </summary>
internal static class JitRestart
{
    public const string Variable = "DOTNET_ReadyToRun";

    /// <summary>Whether this process should hand the run to a child: the switch not set by anyone, and a run to do.</summary>
    public static bool Wanted(IReadOnlyList<string> args) =>
        args.Count > 0
        && !args.Contains("--help")
        && !args.Contains("-h")
        && Environment.GetEnvironmentVariable(Variable) is null
        && Environment.GetEnvironmentVariable("COMPlus_ReadyToRun") is null;

    /// <summary>What the bench prints about the code it ran.</summary>
    public static string Describe() => Environment.GetEnvironmentVariable(Variable) switch
    {
        "0" => "framework compiled at start (DOTNET_ReadyToRun=0)",
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
