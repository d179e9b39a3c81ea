namespace OpenSqt.Backtest.Tests;

/// <summary>
/// The backtest command runs its work in a child process with the framework's precompiled code off (see
/// OpenSqt.Backtest/Cli/JitRestart.cs); these run the built command as a user does and read what it printed.
/// </summary>
public sealed class JitRestartTests
{
    [Fact]
    public async Task ARunIsHandedToAChildThatCompilesTheFrameworkAtStartAndItsOutputAndExitCodeComeBack()
    {
        var (exit, output, errors) = await RunAsync(null, "--bench", "--trades", "2000", "--hours", "1");

        Assert.True(exit == 0, $"exit {exit}: {errors}");
        Assert.Contains("bench: 2000 BTCUSDT-like trades over 1 hours (sim process, seed 11), ", output);
        Assert.Contains("framework compiled here (DOTNET_ReadyToRun=0, DOTNET_TC_CallCountingDelayMs=0)", output);
        Assert.Contains("full replay :", output);

        // The bench replays the day a second time in the same process, and the two give the same results (else exit 1).
        Assert.Contains("again       :", output);
        Assert.Matches(@"engine      : [1-9][0-9,]* orders placed, [1-9][0-9,]* decisions made in full", output);
    }

    [Fact]
    public async Task AUserWhoSetsTheSwitchGetsTheRunAsSetWithNoChild()
    {
        var (exit, output, errors) = await RunAsync("1", "--bench", "--trades", "2000", "--hours", "1");

        Assert.True(exit == 0, $"exit {exit}: {errors}");
        Assert.Contains($"{Environment.ProcessorCount} cores, DOTNET_ReadyToRun=1", output);
        Assert.DoesNotContain("compiled here", output);
    }

    [Fact]
    public async Task TheChildsRefusalOfACommandLineComesBackWithItsMessageAndExitCodeTwo()
    {
        var (exit, _, errors) = await RunAsync(null, "--bench", "--trades", "5");

        Assert.Equal(2, exit);
        Assert.Contains("backtest: --trades '5' must be a whole number of at least 100", errors);
    }

    /// <summary>
    /// The child pays from about half a million events: the shipped sample (14,400 trades) runs in the command's own
    /// process, a day's file (by its size) in the child, the bench always.
    /// </summary>
    [Fact]
    public void OnlyDataBigEnoughForTheChildToPayIsHandedToIt()
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "Samples", "BTCUSDT-aggTrades-2026-01-01.zip");
        Assert.InRange(Cli.JitRestart.EstimatedEvents(["--data", sample]), 14_000, 15_000);
        Assert.False(Cli.JitRestart.Wanted(["--data", sample, "--symbol", "BTCUSDT", "--out", "x"]));

        var folder = Directory.CreateTempSubdirectory("opensqt-jit-restart");
        try
        {
            // A day of about 1,000,000 trades as Binance serves it: 14 MB zipped (the size is all that is read).
            using (var day = File.Create(Path.Combine(folder.FullName, "BTCUSDT-aggTrades-2026-01-02.zip")))
            {
                day.SetLength(14_000_000);
            }

            Assert.InRange(Cli.JitRestart.EstimatedEvents(["--data", folder.FullName]), 990_000, 1_010_000);
            Assert.True(Cli.JitRestart.Wanted(["--data", folder.FullName, "--symbol", "BTCUSDT", "--out", "x"]));
        }
        finally
        {
            folder.Delete(recursive: true);
        }

        Assert.True(Cli.JitRestart.Wanted(["--bench"]));
        Assert.False(Cli.JitRestart.Wanted(["--bench", "--help"]));
        Assert.False(Cli.JitRestart.Wanted(["--symbol", "BTCUSDT"]));
    }

    private static Task<(int Exit, string Output, string Errors)> RunAsync(string? readyToRun, params string[] args) =>
        CommandProcess.RunAsync(readyToRun is null ? [] : new Dictionary<string, string> { ["DOTNET_ReadyToRun"] = readyToRun }, args);
}
