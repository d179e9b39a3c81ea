using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenSqt.MarketMaker.Extensions;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Tests;

public sealed class OptionsTests
{
    private static MarketMakerOptions Valid() => new()
    {
        Symbols = [new GridOptions { Symbol = "BTCUSDT", PriceInterval = 50m, OrderQuantity = 200m }],
    };

    private static string[] Failures(MarketMakerOptions options) =>
        new MarketMakerOptionsValidator().Validate(null, options).Failures?.ToArray() ?? [];

    [Fact]
    public void TheDefaultsAreOpenSqtsAndTheSellWindowDefaultsToTheBuyWindow()
    {
        var options = Valid();
        Assert.Empty(Failures(options));
        var grid = options.Symbols[0];
        Assert.Equal(10, grid.EffectiveSellWindowSize);
        grid.BuyWindowSize = 7;
        Assert.Equal(7, grid.EffectiveSellWindowSize);
        grid.SellWindowSize = 4;
        Assert.Equal(4, grid.EffectiveSellWindowSize);
        Assert.Equal(100, grid.OrderCleanupThreshold);
        Assert.Equal(10, grid.CleanupBatchSize);
        Assert.Equal(10, grid.MarginLockDurationSeconds);
        Assert.Equal(3, grid.PostOnlyFallbackAfter);
        Assert.True(grid.CancelOnExit);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Throttle);
        Assert.Equal(TimeSpan.FromSeconds(60), options.ReconcileInterval);
        Assert.Equal(25, options.RateLimit.OrdersPerSecond);
        Assert.Equal(30, options.RateLimit.Burst);
        Assert.Equal(100, options.PositionSafetyCheck);
        Assert.Equal(["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"], options.RiskControl.EffectiveMonitorSymbols);
        Assert.Equal(20, options.RiskControl.AverageWindow);
        Assert.Equal(3.0m, options.RiskControl.VolumeMultiplier);
        Assert.Equal(3, options.RiskControl.RecoveryThreshold);
    }

    public static TheoryData<Action<MarketMakerOptions>, string> BadValues => new()
    {
        { o => o.Symbols[0].PriceInterval = 0m, "MarketMaker:Symbols:0:PriceInterval: The field PriceInterval must be between" },
        { o => o.Symbols[0].OrderQuantity = -5m, "MarketMaker:Symbols:0:OrderQuantity: The field OrderQuantity must be between" },
        { o => o.Symbols[0].BuyWindowSize = 0, "MarketMaker:Symbols:0:BuyWindowSize: The field BuyWindowSize must be between 1 and 200" },
        { o => o.Symbols[0].SellWindowSize = 500, "MarketMaker:Symbols:0:SellWindowSize: The field SellWindowSize must be between 1 and 200" },
        { o => o.Symbols[0].Symbol = "btc-usdt", "MarketMaker:Symbols:0:Symbol: must be 2 to 20 upper-case letters or digits" },
        { o => o.Symbols.Add(new GridOptions { Symbol = "BTCUSDT", PriceInterval = 1m, OrderQuantity = 10m }), "MarketMaker:Symbols:1:Symbol: 'BTCUSDT' is configured twice" },
        { o => o.Symbols[0].CleanupBatchSize = 100, "MarketMaker:Symbols:0:CleanupBatchSize: 100 must be below OrderCleanupThreshold (100)" },
        { o => o.Symbols[0].OrderCleanupThreshold = 15, "MarketMaker:Symbols:0:BuyWindowSize: buy window 10 plus sell window 10" },
        { o => o.RateLimit.OrdersPerSecond = 0, "MarketMaker:RateLimit:OrdersPerSecond: The field OrdersPerSecond must be between 1 and 10000" },
        { o => o.RiskControl.Interval = "7m", "MarketMaker:RiskControl:Interval: '7m' is not a kline interval" },
        { o => o.RiskControl.RecoveryThreshold = 6, "MarketMaker:RiskControl:RecoveryThreshold: 6 must be between 1 and the number of monitored symbols (5)" },
        { o => o.RiskControl.VolumeMultiplier = 0.5m, "MarketMaker:RiskControl:VolumeMultiplier: The field VolumeMultiplier must be between 1 and 1000" },
        { o => o.CircuitBreaker.MaxConsecutiveLosses = 0, "MarketMaker:CircuitBreaker:MaxConsecutiveLosses: The field MaxConsecutiveLosses must be between 1 and 1000" },
        { o => o.Symbols[0].MaxPositionSize = -1m, "MarketMaker:Symbols:0:MaxPositionSize: The field MaxPositionSize must be between 0 and" },
        { o => o.Symbols[0].MaxOpenOrders = -1, "MarketMaker:Symbols:0:MaxOpenOrders: The field MaxOpenOrders must be between 0 and 1000" },
        { o => o.Limits.MaxTickAge = TimeSpan.Zero, "MarketMaker:Limits:MaxTickAge: The field MaxTickAge must be between" },
        { o => o.Limits.MaxMarginUsage = 2m, "MarketMaker:Limits:MaxMarginUsage: The field MaxMarginUsage must be between 0 and 1" },
        { o => o.RiskControl.ResumeAfter = TimeSpan.FromDays(2), "MarketMaker:RiskControl:ResumeAfter: The field ResumeAfter must be between" },
        { o => o.Symbols.Clear(), "MarketMaker:Symbols:" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ABadValueIsReportedWithItsKeyAndTheAllowedRange(Action<MarketMakerOptions> spoil, string expected)
    {
        var options = Valid();
        spoil(options);
        Assert.Contains(Failures(options), f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AStateInMemoryIsRefusedOutsideTheReplay()
    {
        var options = Valid();
        options.InMemoryState = "opensqt-replay-test";
        Assert.Contains(Failures(options), f => f.StartsWith("MarketMaker:InMemoryState: a state store in memory is for the in-process replay only", StringComparison.Ordinal));

        // The replay sets both.
        options.InlineWriter = true;
        Assert.Empty(Failures(options));
    }

    [Fact]
    public void NeitherTheStateInMemoryNorTheInlineWriterIsReadFromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "50",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:InMemoryState"] = "opensqt-replay-test",
            ["MarketMaker:InlineWriter"] = "true",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMarketMakerEngine();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<MarketMakerOptions>>().Value;
        Assert.Equal("BTCUSDT", options.Symbols[0].Symbol);
        Assert.Null(options.InMemoryState);
        Assert.False(options.InlineWriter);
    }

    [Fact]
    public async Task ABadValueStopsTheEngineAtStartNamingTheKey()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = Directory.CreateTempSubdirectory("opensqt-bad").FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0",
            ["RemoteExchange:Address"] = "http://127.0.0.1:1",
            ["MarketMaker:StatePath"] = Path.Combine(Path.GetTempPath(), $"opensqt-bad-{Guid.NewGuid():N}.db"),
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "50",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:Symbols:0:BuyWindowSize"] = "1000",
        });
        builder.AddServiceDefaults();
        builder.AddMarketMaker();
        await using var app = builder.Build();
        app.MapMarketMaker();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("MarketMaker:Symbols:0:BuyWindowSize: The field BuyWindowSize must be between 1 and 200", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AKeyTheEngineDoesNotKnowStopsItAtStartNamingTheKey()
    {
        // CooldownPeriod existed before trips latched until an operator reset; a configuration that still sets it must not
        // believe the breaker re-opens by itself.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = Directory.CreateTempSubdirectory("opensqt-unknown").FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = "http://127.0.0.1:0",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = "http://127.0.0.1:0",
            ["RemoteExchange:Address"] = "http://127.0.0.1:1",
            ["MarketMaker:StatePath"] = Path.Combine(Path.GetTempPath(), $"opensqt-unknown-{Guid.NewGuid():N}.db"),
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "50",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:CircuitBreaker:CooldownPeriod"] = "00:05:00",
        });
        builder.AddServiceDefaults();
        builder.AddMarketMaker();
        await using var app = builder.Build();
        app.MapMarketMaker();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains("CooldownPeriod", error.Message, StringComparison.Ordinal);
    }
}
