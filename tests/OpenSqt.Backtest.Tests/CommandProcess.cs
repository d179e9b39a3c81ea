using System.Diagnostics;

namespace OpenSqt.Backtest.Tests;

/// <summary>The built backtest command run as a user runs it, in a process of its own, with what it printed.</summary>
internal static class CommandProcess
{
    private static readonly string Command = Path.Combine(AppContext.BaseDirectory, "OpenSqt.Backtest.dll");

    /// <summary>
    /// Runs the command with <paramref name="args"/>; the runtime switches this test process may have been started with
    /// are removed from the child's environment, and <paramref name="environment"/> is added.
    /// </summary>
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Command);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("DOTNET_ReadyToRun");
        info.Environment.Remove("COMPlus_ReadyToRun");
        info.Environment.Remove("DOTNET_TC_CallCountingDelayMs");
        info.Environment.Remove("DOTNET_PROCESSOR_COUNT");
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await errors);
    }
}
