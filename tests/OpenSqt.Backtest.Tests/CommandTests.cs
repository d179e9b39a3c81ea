using System.Globalization;
using System.Text.Json;
using OpenSqt.Backtest.Cli;
using OpenSqt.Backtest.Data;
using OpenSqt.Backtest.Output;

namespace OpenSqt.Backtest.Tests;

/// <summary>The backtest command end to end: the sample that ships with the tests, its outputs, and bad input.</summary>
public sealed class CommandTests : IDisposable
{
    private static readonly string Sample = Path.Combine(AppContext.BaseDirectory, "Samples", "BTCUSDT-aggTrades-2026-01-01.zip");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-backtest-cli");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Out => Path.Combine(_dir.FullName, "out");

    [Theory]
    [InlineData("trade-through", 50)]
    [InlineData("touch", 250)]
    public async Task EveryFillOfTheSampleIsJustifiedByATradeAfterTheOrderArrived(string queue, int latencyMs)
    {
        var (code, _, error) = await RunAsync("--data", Sample, "--symbol", "BTCUSDT", "--out", Out,
            "--price-interval", "100", "--order-quantity", "200", "--buy-window", "5", "--queue", queue, "--latency-ms", latencyMs.ToString(CultureInfo.InvariantCulture));

        Assert.True(code == 0, error);
        var trades = ReadSample();
        var fills = File.ReadAllLines(Path.Combine(Out, ReportWriter.FillsFile));
        Assert.Equal(ReportWriter.FillsHeader, fills[0]);
        Assert.True(fills.Length > 10, $"the sample should give fills, it gave {fills.Length - 1}");
        var through = queue == "trade-through";
        foreach (var line in fills.Skip(1))
        {
            var f = line.Split(',');
            var time = DateTimeOffset.Parse(f[0], CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            var buy = f[1] == "BUY";
            var price = decimal.Parse(f[2], CultureInfo.InvariantCulture);
            var arrived = DateTimeOffset.Parse(f[8], CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
            Assert.Equal("true", f[6]);
            Assert.Equal(arrived, DateTimeOffset.Parse(f[7], CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() + latencyMs);
            Assert.True(arrived <= time, $"{line}: filled before the order reached the book");
            Assert.True(
                trades.Any(t => t.TimeMs >= arrived && t.TimeMs <= time && (buy ? (through ? t.Price < price : t.Price <= price) : (through ? t.Price > price : t.Price >= price))),
                $"{line}: no trade {(buy ? "at or below" : "at or above")} {price} between {arrived} and {time}");
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, ReportWriter.SummaryFile)));
        var root = summary.RootElement;
        foreach (var key in new[] { "events", "events_per_second", "fills", "round_trips", "realised_pnl", "fees", "funding", "final_position", "max_drawdown", "start", "end" })
        {
            Assert.True(root.TryGetProperty(key, out _), $"summary.json lacks {key}");
        }

        Assert.Equal(trades.Count, root.GetProperty("events").GetInt64());
        Assert.Equal(fills.Length - 1, root.GetProperty("fills").GetInt32());
        Assert.Equal(fills.Skip(1).Sum(l => decimal.Parse(l.Split(',')[4], CultureInfo.InvariantCulture)), root.GetProperty("fees").GetDecimal());
        var buys = fills.Skip(1).Where(l => l.Split(',')[1] == "BUY").Sum(l => decimal.Parse(l.Split(',')[3], CultureInfo.InvariantCulture));
        var sells = fills.Skip(1).Where(l => l.Split(',')[1] == "SELL").Sum(l => decimal.Parse(l.Split(',')[3], CultureInfo.InvariantCulture));
        Assert.Equal(buys - sells, root.GetProperty("final_position").GetDecimal());

        var html = File.ReadAllText(Path.Combine(Out, ReportWriter.ReportFile));
        Assert.Contains("TradingView Lightweight Charts", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("/*DATA*/", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownSymbolFailsWithAClearMessageAndNoReport()
    {
        var data = Path.Combine(_dir.FullName, "PEPEUSDT-aggTrades-2026-01-01.csv");
        File.WriteAllLines(data, [AggTradeFile.Header, "1,0.00001,100,1,1,1767225600000,true"]);

        var (code, _, error) = await RunAsync("--data", data, "--symbol", "PEPEUSDT", "--out", Out, "--price-interval", "0.000001", "--order-quantity", "10");

        Assert.Equal(BacktestProgram.Failed, code);
        Assert.Contains("unknown symbol 'PEPEUSDT'", error, StringComparison.Ordinal);
        AssertNoOutputs();
    }

    [Fact]
    public async Task UnorderedDataFailsNamingTheLineAndLeavesNoReportOfAnEarlierRun()
    {
        Directory.CreateDirectory(Out);
        File.WriteAllText(Path.Combine(Out, ReportWriter.ReportFile), "an earlier run");
        var data = Path.Combine(_dir.FullName, "BTCUSDT-aggTrades-2026-01-01.csv");
        File.WriteAllLines(data, [AggTradeFile.Header, "1,95000,0.01,1,1,1767225600000,true", "2,95000,0.01,2,2,1767225600500,true", "3,95000,0.01,3,3,1767225600100,true"]);

        var (code, _, error) = await RunAsync("--data", data, "--symbol", "BTCUSDT", "--out", Out, "--price-interval", "100", "--order-quantity", "200");

        Assert.Equal(BacktestProgram.Failed, code);
        Assert.Contains($"{data}:4: transact_time 1767225600100 is before the previous row's 1767225600500", error, StringComparison.Ordinal);
        AssertNoOutputs();
    }

    [Fact]
    public async Task EmptyDataFails()
    {
        var data = Path.Combine(_dir.FullName, "BTCUSDT-aggTrades-2026-01-01.csv");
        File.WriteAllText(data, AggTradeFile.Header + "\n");

        var (code, _, error) = await RunAsync("--data", data, "--symbol", "BTCUSDT", "--out", Out, "--price-interval", "100", "--order-quantity", "200");

        Assert.Equal(BacktestProgram.Failed, code);
        Assert.Contains("holds no trades", error, StringComparison.Ordinal);
        AssertNoOutputs();
    }

    [Fact]
    public async Task AParameterTheEngineRefusesFailsWithTheEnginesReason()
    {
        var (code, _, error) = await RunAsync("--data", Sample, "--symbol", "BTCUSDT", "--out", Out, "--price-interval", "100.05", "--order-quantity", "200");

        Assert.Equal(BacktestProgram.Failed, code);
        Assert.Contains("PriceInterval: 100.05 must be a positive multiple of the tick size 0.1", error, StringComparison.Ordinal);
        AssertNoOutputs();
    }

    [Theory]
    [InlineData("--symbol BTCUSDT --out x --price-interval 100 --order-quantity 200", "--data is required")]
    [InlineData("--data x --symbol BTCUSDT --out x", "give the grid")]
    [InlineData("--data x --symbol BTCUSDT --out x --price-interval -1 --order-quantity 200", "--price-interval '-1' must be a positive number")]
    [InlineData("--data x --symbol BTCUSDT --out x --price-interval 100 --order-quantity 200 --queue fifo", "--queue 'fifo' must be touch, trade-through or queue-position")]
    [InlineData("--data x --symbol BTCUSDT --out x --price-interval 100 --order-quantity 200 --speed 9", "unknown option '--speed'")]
    [InlineData("--data x --symbol BTCUSDT --out x --price-interval 100 --order-quantity 200 --state-writes later", "--state-writes 'later' must be thread or inline")]
    public async Task ACommandLineItCannotRunExitsWithTwo(string args, string reason)
    {
        var (code, _, error) = await RunAsync(args.Split(' '));

        Assert.Equal(BacktestProgram.BadUsage, code);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEnginesOwnConfigurationFileIsTakenAsIs()
    {
        var config = Path.Combine(_dir.FullName, "appsettings.json");
        File.WriteAllText(config, """
            { "Logging": { "LogLevel": { "Default": "Information" } },
              "MarketMaker": { "Throttle": "00:00:00.050", "Symbols": [
                { "Symbol": "ETHUSDT", "PriceInterval": 5, "OrderQuantity": 50 },
                { "Symbol": "BTCUSDT", "PriceInterval": 100, "OrderQuantity": 200, "BuyWindowSize": 5 } ] } }
            """);

        var (code, _, error) = await RunAsync("--data", Sample, "--symbol", "BTCUSDT", "--out", Out, "--config", config, "--end", "2026-01-01T00:30:00Z");

        Assert.True(code == 0, error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, ReportWriter.SummaryFile)));
        Assert.Equal(3600, summary.RootElement.GetProperty("events").GetInt64());
        Assert.True(summary.RootElement.GetProperty("fills").GetInt32() > 0);
    }

    [Fact]
    public async Task TheSameReplayTwiceGivesTheSameFillsWhereverItsStateWritesRun()
    {
        string[] Args(string outDir, string writes) => ["--data", Sample, "--symbol", "BTCUSDT", "--out", outDir, "--price-interval", "100", "--order-quantity", "200", "--buy-window", "5", "--end", "2026-01-01T00:40:00Z", "--state-writes", writes];
        var first = Path.Combine(_dir.FullName, "first");
        var second = Path.Combine(_dir.FullName, "second");

        Assert.Equal(0, (await RunAsync(Args(first, "thread"))).Code);
        Assert.Equal(0, (await RunAsync(Args(second, "inline"))).Code);

        var fills = ReplayOutputs.FillsWithoutBook(first);
        Assert.True(fills.Length > 5, "the first 40 minutes of the sample should give fills");
        Assert.Equal(fills, ReplayOutputs.FillsWithoutBook(second));
    }

    [Fact]
    public async Task TheEnginesStateIsLeftInOutAsTheEngineWroteItThoughTheReplayKeptItInMemory()
    {
        Directory.CreateDirectory(Out);
        var state = Path.Combine(Out, "engine-state.db");
        File.WriteAllText(state, "an earlier run's state, not a database");
        var (code, _, error) = await RunAsync("--data", Sample, "--symbol", "BTCUSDT", "--out", Out, "--price-interval", "100", "--order-quantity", "200", "--buy-window", "5", "--end", "2026-01-01T00:40:00Z");

        Assert.True(code == 0, error);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, ReportWriter.SummaryFile)));
        var fills = File.ReadAllLines(Path.Combine(Out, ReportWriter.FillsFile)).Skip(1).Select(l => l.Split(',')[5]).Order(StringComparer.Ordinal).ToArray();
        Assert.True(fills.Length > 5, "the first 40 minutes of the sample should give fills");
        using var store = OpenSqt.MarketMaker.State.EngineStateStore.Open(state);
        var pnl = store.LoadPnl("BTCUSDT");
        Assert.Equal(summary.RootElement.GetProperty("realised_pnl").GetDecimal(), pnl.Realised);
        Assert.Equal(summary.RootElement.GetProperty("round_trips").GetInt32(), pnl.RoundTrips);
        Assert.Equal(fills, store.Fills([], 0, long.MaxValue, int.MaxValue).Select(f => f.ClientOrderId ?? "").Order(StringComparer.Ordinal).ToArray());
        Assert.NotEmpty(store.Orders([], 0, long.MaxValue, int.MaxValue));
    }

    [Fact]
    public async Task ASweepRunsEverySettingAndEachCellIsTheSingleReplayOfThatSetting()
    {
        var (code, _, error) = await RunAsync("--data", Sample, "--symbol", "BTCUSDT", "--out", Out, "--order-quantity", "200", "--end", "2026-01-01T00:20:00Z",
            "--sweep", "price-interval=50,100;buy-window=3,5");

        Assert.True(code == 0, error);
        var lines = File.ReadAllLines(Path.Combine(Out, "sweep.csv"));
        Assert.Equal("price-interval,buy-window,realised_pnl,max_drawdown,fills,round_trips,fees,final_position,equity,error", lines[0]);
        Assert.Equal(["50,3", "50,5", "100,3", "100,5"], lines.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))));
        var svg = File.ReadAllText(Path.Combine(Out, "sweep.svg"));
        Assert.Equal(5, svg.Split("<rect").Length - 1);

        var single = Path.Combine(_dir.FullName, "single");
        Assert.Equal(0, (await RunAsync("--data", Sample, "--symbol", "BTCUSDT", "--out", single, "--order-quantity", "200", "--end", "2026-01-01T00:20:00Z", "--price-interval", "50", "--buy-window", "5")).Code);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(single, ReportWriter.SummaryFile)));
        var cell = lines[2].Split(',');
        Assert.Equal(summary.RootElement.GetProperty("realised_pnl").GetDecimal(), decimal.Parse(cell[2], CultureInfo.InvariantCulture));
        Assert.Equal(summary.RootElement.GetProperty("fills").GetInt32(), int.Parse(cell[4], CultureInfo.InvariantCulture));
        Assert.True(int.Parse(cell[4], CultureInfo.InvariantCulture) > 0);
    }

    private void AssertNoOutputs()
    {
        foreach (var name in new[] { ReportWriter.SummaryFile, ReportWriter.FillsFile, ReportWriter.ReportFile })
        {
            Assert.False(File.Exists(Path.Combine(Out, name)), $"{name} is there after a failed run");
        }
    }

    private static List<TradeTick> ReadSample() => MarketData.Open(Sample, "BTCUSDT").Trades().ToList();

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await BacktestProgram.RunAsync(args, output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
