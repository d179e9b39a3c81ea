using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using OpenSqt.Backtest.Data;
using OpenSqt.Backtest.Replay;

namespace OpenSqt.Backtest.Cli;

/// <summary>
/// <c>--bench [--trades N] [--hours H]</c>: generates BTCUSDT-like trades with the sim's own process (N trades spread
/// over H hours; by default 1,000,000 over 24 hours: a day at about 12 trades a second), then measures (1) the import alone: events per second and bytes allocated per event, and (2) the full
/// replay with a 20-level grid (10 buys and 10 sells working): events per second, bytes allocated per event and the
/// process's peak working set, (3) the same replay again in the same process, its code optimised by then: the speed a
/// longer replay approaches once the runtime has optimised it (a week or a month of data in one run) and every replay
/// after the first in one process runs at. Figures depend on the machine and on what else runs on it. The replay's
/// results (fills, round trips, PnL, fees, position) are printed too: a change made for speed must leave them as they
/// were; the two replays must give the same (exit 1 if not).
/// </summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, CancellationToken cancellationToken)
    {
        var trades = 1_000_000;
        var hours = 24;
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == "--trades" && (!int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out trades) || trades < 100))
            {
                throw new UsageException($"--trades '{args[i + 1]}' must be a whole number of at least 100");
            }

            if (args[i] == "--hours" && (!int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out hours) || hours is < 1 or > 24 * 31))
            {
                throw new UsageException($"--hours '{args[i + 1]}' must be a whole number of hours from 1 to 744");
            }
        }

        var dir = Directory.CreateTempSubdirectory("opensqt-bench");
        try
        {
            var file = Path.Combine(dir.FullName, "BTCUSDT-aggTrades-2026-01-01.csv");
            SyntheticTape.Write(file, "BTCUSDT", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), trades, TimeSpan.FromMilliseconds(hours * 3_600_000.0 / trades), seed: 11);
            var data = MarketData.Open(file, "BTCUSDT");

            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            long imported = 0;
            foreach (var e in data.Events())
            {
                imported += e.Kind == MarketEventKind.Trade ? 1 : 0;
            }

            watch.Stop();
            var importPerSecond = imported / watch.Elapsed.TotalSeconds;
            var importBytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)imported;

            var engine = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
                ["MarketMaker:Symbols:0:PriceInterval"] = "50",
                ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
                ["MarketMaker:Symbols:0:BuyWindowSize"] = "10",
                ["MarketMaker:Symbols:0:SellWindowSize"] = "10",
                ["MarketMaker:Symbols:0:GridMode"] = "Neutral",
                ["MarketMaker:ReconcileInterval"] = "01:00:00",
                ["MarketMaker:RiskControl:Enabled"] = "false",
            }).Build();
            var runner = new ReplayRunner(new ReplaySettings { Symbol = "BTCUSDT", Engine = engine, InitialBalance = 100_000m });

            // Twice, in this process: the first replay runs its code as the runtime compiles and optimises it (a single
            // replay's figure, a day's run of the command); the second runs the same code already optimised, the speed a
            // longer replay approaches (a week or a month in one run). Both must give the same results: a replay is
            // deterministic.
            var first = await MeasureAsync(runner, data, cancellationToken).ConfigureAwait(false);
            var again = await MeasureAsync(runner, data, cancellationToken).ConfigureAwait(false);
            var result = first.Result;
            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"""
                bench: {trades} BTCUSDT-like trades over {hours} hours (sim process, seed 11), {Environment.ProcessorCount} cores, {JitRestart.Describe()}
                import only : {importPerSecond,12:N0} events/s, {importBytes,8:N1} bytes allocated per event
                full replay : {first.Describe()}, 20-level grid, {result.Fills.Count} fills, {result.RoundTrips} round trips
                engine      : {result.OrdersPlaced:N0} orders placed, {result.FullDecisions:N0} decisions made in full
                replay cpu  : {first.DescribeCpu()}
                replay gc   : {first.DescribeGc()}
                again       : {again.Describe()} (the same replay again in this process, its code optimised by now)
                again cpu   : {again.DescribeCpu()}
                again gc    : {again.DescribeGc()}
                result      : realised pnl {result.RealisedPnl}, fees {result.Fees}, funding {result.Funding}, final position {result.FinalPosition}, max drawdown {result.MaxDrawdown}
                peak working set: {peak / (1024.0 * 1024.0):N0} MB
                """)).ConfigureAwait(false);
            if (Outcome(again.Result) != Outcome(result))
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"the second replay's results differ from the first's: {Outcome(again.Result)} against {Outcome(result)}")).ConfigureAwait(false);
                return BacktestProgram.Failed;
            }

            return BacktestProgram.Ok;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Outcome(ReplayResult r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Events} events, {r.OrdersPlaced} orders, {r.FullDecisions} full decisions, {r.Fills.Count} fills, {r.RoundTrips} round trips, realised pnl {r.RealisedPnl}, fees {r.Fees}, funding {r.Funding}, final position {r.FinalPosition}, max drawdown {r.MaxDrawdown}");

    private static async Task<Measured> MeasureAsync(ReplayRunner runner, MarketData data, CancellationToken cancellationToken)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var pauseBefore = GC.GetTotalPauseDuration();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var result = await runner.RunAsync(data, cancellationToken).ConfigureAwait(false);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        return new Measured(
            result,
            (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)result.Events,
            cpu.TotalMicroseconds / result.Events,
            GC.GetTotalPauseDuration() - pauseBefore,
            [GC.CollectionCount(0) - collectionsBefore[0], GC.CollectionCount(1) - collectionsBefore[1], GC.CollectionCount(2) - collectionsBefore[2]]);
    }

    /// <summary>One replay's figures: bytes allocated and processor time (all threads, its start and stop included) per event, its collections.</summary>
    private sealed record Measured(ReplayResult Result, double BytesPerEvent, double CpuPerEvent, TimeSpan Paused, int[] Collections)
    {
        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{Result.EventsPerSecond,12:N0} events/s, {BytesPerEvent,8:N0} bytes allocated per event (all threads)");

        // On a shared machine a steadier measure than events per second of wall-clock time.
        public string DescribeCpu() => string.Create(CultureInfo.InvariantCulture,
            $"{CpuPerEvent,12:N2} us of processor time per event (all threads), {(Result.DriverCpuSeconds is { } driver ? string.Create(CultureInfo.InvariantCulture, $"{driver * 1e6 / Result.Events:N2} us on the thread that drove the events") : "the driving thread's share unknown here")}");

        public string DescribeGc() => string.Create(CultureInfo.InvariantCulture,
            $"{Collections[0]} collections ({Collections[1]} of gen 1, {Collections[2]} of gen 2), paused {Paused.TotalMilliseconds:N0} ms");
    }
}
