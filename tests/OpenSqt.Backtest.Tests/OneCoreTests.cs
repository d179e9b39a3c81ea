using System.Text.Json;
using OpenSqt.Backtest.Output;

namespace OpenSqt.Backtest.Tests;

/// <summary>
/// A replay gives the same results on a machine of one core (a container limited to one) as on this one's, where the
/// thread pool has a single worker. The engine's reconciliation (every minute here, 120 times over the sample) hands its
/// next steps to the thread pool, and the replay waits for that work before its next event: its loop runs on a thread
/// outside the pool (see ReplayRunner.Drive), so the pool's one worker is asked for and counted busy until the work is done.
/// </summary>
public sealed class OneCoreTests : IDisposable
{
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "Samples", "BTCUSDT-aggTrades-2026-01-01.zip");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-backtest-one-core");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task AReplayOnOneCoreGivesTheSameFillsAsOnAllCores()
    {
        var config = Path.Combine(_dir.FullName, "engine.json");
        File.WriteAllText(config, """
            { "MarketMaker": { "ReconcileInterval": "00:01:00", "Symbols": [
                { "Symbol": "BTCUSDT", "PriceInterval": 50, "OrderQuantity": 200, "BuyWindowSize": 5, "SellWindowSize": 5 } ] } }
            """);
        string[] Args(string outDir) => ["--data", Sample, "--symbol", "BTCUSDT", "--out", outDir, "--config", config];
        var allCores = Path.Combine(_dir.FullName, "all");
        var oneCore = Path.Combine(_dir.FullName, "one");

        var all = await CommandProcess.RunAsync(new Dictionary<string, string>(), Args(allCores));
        Assert.True(all.Exit == 0, all.Errors);
        var one = await CommandProcess.RunAsync(new Dictionary<string, string> { ["DOTNET_PROCESSOR_COUNT"] = "1" }, Args(oneCore));
        Assert.True(one.Exit == 0, one.Errors);

        var fills = ReplayOutputs.FillsWithoutBook(allCores);
        Assert.True(fills.Length > 20, $"the sample should give fills, it gave {fills.Length - 1}");
        Assert.Equal(fills, ReplayOutputs.FillsWithoutBook(oneCore));

        using var allSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(allCores, ReportWriter.SummaryFile)));
        using var oneSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(oneCore, ReportWriter.SummaryFile)));
        foreach (var field in new[] { "events", "fills", "round_trips", "realised_pnl", "fees", "funding", "final_position", "max_drawdown", "end" })
        {
            Assert.Equal(allSummary.RootElement.GetProperty(field).GetRawText(), oneSummary.RootElement.GetProperty(field).GetRawText());
        }
    }
}
