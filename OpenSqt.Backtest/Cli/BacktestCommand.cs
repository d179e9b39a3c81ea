using System.Globalization;
using Microsoft.Extensions.Configuration;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Backtest.Cli;

/// <summary>The command line, parsed and checked: a bad value is refused naming the option and what it takes.</summary>
public sealed record BacktestCommand
{
    public const string Usage = """
        Replays market history through the OpenSqt engine against the sim venue's matching.

        dotnet run -c Release --project OpenSqt.Backtest -- --data <file or folder> --symbol BTCUSDT --out <dir> [options]

          --data <path>            aggTrades (and bookTicker) .csv/.zip files, one file or a folder (data.binance.vision names)
          --symbol <SYMBOL>        the instrument (BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT, DOGEUSDT)
          --out <dir>              where summary.json, fills.csv and report.html go
          --config <file>          the engine's own configuration file (appsettings.json, section MarketMaker), as is
          --price-interval <p>     grid: price distance between levels (MarketMaker:Symbols:n:PriceInterval)
          --order-quantity <q>     grid: quote amount per level (OrderQuantity)
          --buy-window <n>         grid: buy orders working (BuyWindowSize)
          --sell-window <n>        grid: sell orders working (SellWindowSize)
          --grid-mode <Long|Neutral>
          --maker-fee <rate>       venue maker fee rate (default 0.0002)
          --taker-fee <rate>       venue taker fee rate (default 0.0005)
          --funding-rate <rate>    funding rate per 8 hours (default 0.0001)
          --balance <usdt>         starting wallet (default 10000)
          --leverage <n>           account leverage (default 10)
          --latency-ms <ms>        order latency: an order rests (can fill) this long after it is sent (default 50)
          --queue <touch|trade-through|queue-position>
                                   which trades fill a resting order (default: queue-position with bookTicker data,
                                   trade-through without)
          --start <time>           first event to replay (ISO 8601 UTC or Unix milliseconds)
          --end <time>             replay events before this time
          --sweep "<p>=<v>,<v>;<p>=<v>,<v>"
                                   one replay per combination of one or two grid parameters (price-interval,
                                   order-quantity, buy-window, sell-window), in parallel; writes sweep.csv and sweep.svg
          --state-writes <thread|inline>
                                   the engine's state writes on a thread of their own (default: faster with a core to
                                   spare) or on the replay's thread (less processor in all; a sweep's replays use it)

        dotnet run -c Release --project OpenSqt.Backtest -- --bench [--trades 2000] [--hours 24]
          measures the import and the full replay (20-level grid) on a generated day of BTCUSDT-like trades
        """;

    private static readonly HashSet<string> Known =
    [
        "--data", "--symbol", "--out", "--config", "--price-interval", "--order-quantity", "--buy-window", "--sell-window",
        "--grid-mode", "--maker-fee", "--taker-fee", "--funding-rate", "--balance", "--leverage", "--latency-ms", "--queue",
        "--start", "--end", "--sweep", "--state-writes",
    ];

    public required string Data { get; init; }

    public required string Symbol { get; init; }

    public required string Out { get; init; }

    public string? ConfigFile { get; init; }

    public Dictionary<string, string?> GridOverrides { get; init; } = [];

    public decimal MakerFee { get; init; } = 0.0002m;

    public decimal TakerFee { get; init; } = 0.0005m;

    public decimal FundingRate { get; init; } = 0.0001m;

    public decimal Balance { get; init; } = 10_000m;

    public int Leverage { get; init; } = 10;

    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(50);

    public SimQueueModel? Queue { get; init; }

    public long? StartMs { get; init; }

    public long? EndMs { get; init; }

    /// <summary><c>--state-writes thread</c> (the default) or <c>inline</c>: see <see cref="Replay.ReplaySettings.StateWritesBehind"/>.</summary>
    public bool StateWritesBehind { get; init; } = true;

    /// <summary>The command line as given (a sweep passes it on to each setting's replay).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The grid values to sweep, when <c>--sweep</c> was given.</summary>
    public IReadOnlyList<(string Name, string[] Values)>? Sweep { get; init; }

    /// <summary>Parses the arguments; throws <see cref="UsageException"/> naming the problem.</summary>
    public static BacktestCommand Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!Known.Contains(name))
            {
                throw new UsageException($"unknown option '{name}'");
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{name} needs a value");
            }

            values[name] = args[++i];
        }

        string Required(string name) => values.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : throw new UsageException($"{name} is required");
        var grid = new Dictionary<string, string?>(StringComparer.Ordinal);
        Grid(values, grid, "--price-interval", "PriceInterval", v => PositiveDecimal("--price-interval", v));
        Grid(values, grid, "--order-quantity", "OrderQuantity", v => PositiveDecimal("--order-quantity", v));
        Grid(values, grid, "--buy-window", "BuyWindowSize", v => Int("--buy-window", v, 1, 200));
        Grid(values, grid, "--sell-window", "SellWindowSize", v => Int("--sell-window", v, 1, 200));
        Grid(values, grid, "--grid-mode", "GridMode", v => v is "Long" or "Neutral" ? v : throw new UsageException($"--grid-mode '{v}' must be Long or Neutral"));
        var configFile = values.GetValueOrDefault("--config");
        if (configFile is not null && !File.Exists(configFile))
        {
            throw new UsageException($"--config '{configFile}': no such file");
        }

        var swept = values.TryGetValue("--sweep", out var sweepValue) ? sweepValue : "";
        if (configFile is null && ((!grid.ContainsKey("PriceInterval") && !swept.Contains("price-interval", StringComparison.Ordinal))
            || (!grid.ContainsKey("OrderQuantity") && !swept.Contains("order-quantity", StringComparison.Ordinal))))
        {
            throw new UsageException("give the grid: --config <engine appsettings.json>, or --price-interval and --order-quantity");
        }

        return new BacktestCommand
        {
            Data = Required("--data"),
            Symbol = Required("--symbol").ToUpperInvariant(),
            Out = Required("--out"),
            ConfigFile = configFile,
            GridOverrides = grid,
            MakerFee = values.TryGetValue("--maker-fee", out var maker) ? RangeDecimal("--maker-fee", maker, -0.01m, 0.01m) : 0.0002m,
            TakerFee = values.TryGetValue("--taker-fee", out var taker) ? RangeDecimal("--taker-fee", taker, 0m, 0.01m) : 0.0005m,
            FundingRate = values.TryGetValue("--funding-rate", out var funding) ? RangeDecimal("--funding-rate", funding, -0.01m, 0.01m) : 0.0001m,
            Balance = values.TryGetValue("--balance", out var balance) ? RangeDecimal("--balance", balance, 1m, 1_000_000_000m) : 10_000m,
            Leverage = values.TryGetValue("--leverage", out var leverage) ? int.Parse(Int("--leverage", leverage, 1, 125), CultureInfo.InvariantCulture) : 10,
            Latency = values.TryGetValue("--latency-ms", out var latency) ? TimeSpan.FromMilliseconds(int.Parse(Int("--latency-ms", latency, 0, 60_000), CultureInfo.InvariantCulture)) : TimeSpan.FromMilliseconds(50),
            Queue = values.TryGetValue("--queue", out var queue) ? queue switch
            {
                "touch" => SimQueueModel.Touch,
                "trade-through" => SimQueueModel.TradeThrough,
                "queue-position" => SimQueueModel.QueuePosition,
                _ => throw new UsageException($"--queue '{queue}' must be touch, trade-through or queue-position"),
            } : null,
            StartMs = values.TryGetValue("--start", out var start) ? Time("--start", start) : null,
            EndMs = values.TryGetValue("--end", out var end) ? Time("--end", end) : null,
            Sweep = values.TryGetValue("--sweep", out var sweep) ? SweepCommand.Parse(sweep) : null,
            StateWritesBehind = !values.TryGetValue("--state-writes", out var writes) || writes switch
            {
                "thread" => true,
                "inline" => false,
                _ => throw new UsageException($"--state-writes '{writes}' must be thread or inline"),
            },
            Arguments = [.. args],
        };
    }

    /// <summary>
    /// The engine's configuration for the replay: the file as is, then the grid options given on the command line on the
    /// replayed symbol's grid. The file's other symbols are left out (the replay trades one); the replay's defaults
    /// (hourly reconciliation, no anomaly monitor of symbols the data does not have) apply only where the file says nothing.
    /// </summary>
    public IConfiguration EngineConfiguration()
    {
        var file = new ConfigurationBuilder();
        if (ConfigFile is not null)
        {
            file.AddJsonFile(Path.GetFullPath(ConfigFile), optional: false);
        }

        var source = file.Build();
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["MarketMaker:ReconcileInterval"] = "01:00:00",
            ["MarketMaker:RiskControl:Enabled"] = "false",
        };
        const string SymbolsPrefix = "MarketMaker:Symbols:";
        var symbols = source.GetSection("MarketMaker:Symbols").GetChildren().ToList();
        var chosen = symbols.FirstOrDefault(s => string.Equals(s["Symbol"], Symbol, StringComparison.OrdinalIgnoreCase));
        if (symbols.Count > 0 && chosen is null)
        {
            throw new UsageException($"--config '{ConfigFile}' has no grid for {Symbol} (it has {string.Join(", ", symbols.Select(s => s["Symbol"]))})");
        }

        foreach (var (key, value) in source.AsEnumerable())
        {
            if (value is null || !key.StartsWith("MarketMaker", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (key.StartsWith(SymbolsPrefix, StringComparison.OrdinalIgnoreCase))
            {
                var rest = key[SymbolsPrefix.Length..];
                var index = rest.Split(':')[0];
                if (chosen is null || !string.Equals(index, chosen.Key, StringComparison.Ordinal))
                {
                    continue;
                }

                settings[SymbolsPrefix + "0" + rest[index.Length..]] = value;
                continue;
            }

            settings[key] = value;
        }

        settings[SymbolsPrefix + "0:Symbol"] = Symbol;
        foreach (var (key, value) in GridOverrides)
        {
            settings[SymbolsPrefix + "0:" + key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private static void Grid(Dictionary<string, string> values, Dictionary<string, string?> grid, string option, string key, Func<string, string> check)
    {
        if (values.TryGetValue(option, out var value))
        {
            grid[key] = check(value);
        }
    }

    private static string PositiveDecimal(string option, string value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) && d > 0
            ? d.ToString(CultureInfo.InvariantCulture)
            : throw new UsageException($"{option} '{value}' must be a positive number");

    private static decimal RangeDecimal(string option, string value, decimal min, decimal max) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max
            ? d
            : throw new UsageException($"{option} '{value}' must be a number from {min} to {max}");

    private static string Int(string option, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max
            ? i.ToString(CultureInfo.InvariantCulture)
            : throw new UsageException($"{option} '{value}' must be a whole number from {min} to {max}");

    private static long Time(string option, string value)
    {
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return ms;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.ToUnixTimeMilliseconds()
            : throw new UsageException($"{option} '{value}' must be an ISO 8601 time (2026-01-01T00:00:00Z) or Unix milliseconds");
    }
}

/// <summary>A command line the backtest cannot run.</summary>
public sealed class UsageException(string message) : Exception(message);
