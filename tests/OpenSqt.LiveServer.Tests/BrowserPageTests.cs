using System.Globalization;
using Microsoft.Playwright;
using OpenSqt.Contracts;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>
/// The page in a real Chromium (Debian's when present, else Playwright's own: see <see cref="Browsers"/>) against the
/// LiveServer on the sim: candles, working-order lines, fill markers, header figures and a screenshot.
/// </summary>
public sealed class BrowserPageTests : IAsyncLifetime
{
    private ConnectorHost _connector = null!;
    private LiveServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _connector = await ConnectorHost.StartAsync();
        _server = await LiveServerHost.StartAsync(_connector.GrpcAddress);
        await _server.WaitUntilConnectedAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _connector.DisposeAsync();
    }

    private static Task<T> State<T>(IPage page, string expression) => page.EvaluateAsync<T>($"() => window.__liveState.{expression}");

    private static async Task WaitForAsync(IPage page, string condition, string because)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => !!window.__liveState && ({condition})", null, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 50 });
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Timed out waiting until {because}", ex);
        }
    }

    private static decimal Figure(string? text) =>
        decimal.Parse(text ?? throw new InvalidOperationException("the figure has no value"), NumberStyles.Float, CultureInfo.InvariantCulture);

    [Fact]
    public async Task PageShowsCandlesWorkingOrdersFillsAndTheHeaderFromTheVenue()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        var external = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(_server.Origin, StringComparison.Ordinal) && !request.Url.StartsWith("ws://127.0.0.1", StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                external.Add(request.Url);
            }
        };

        await page.GotoAsync(_server.HttpAddress.ToString());
        await WaitForAsync(page, "window.__liveState.symbol === 'BTCUSDT' && window.__liveState.drawn.candles > 50", "history candles are drawn");
        Assert.Equal("OPEN", await page.GetAttributeAsync("#link-browser", "data-state"));
        Assert.Equal("CONNECTED", await page.GetAttributeAsync("#link-connector", "data-state"));

        // The trader (this test) works the market: two resting orders, one of which the market then fills.
        _connector.Sim.Trade("BTCUSDT", 95_000.0m, 1m);
        var buy = await Market.RestingBuyAsync(_connector, "BTCUSDT", 94_800.0m, 0.01m);
        var sell = await Market.RestingSellAsync(_connector, "BTCUSDT", 95_400.0m, 0.01m);
        await WaitForAsync(page, "window.__liveState.drawn.orderLines >= 2", "both working orders are drawn as price lines");
        var sides = await State<string[]>(page, "drawn.orderLineSides");
        Assert.Contains("BUY", sides);
        Assert.Contains("SELL", sides);

        var lastCandle = await State<long>(page, "drawn.lastCandleTime");
        _connector.Sim.Trade("BTCUSDT", 94_700.0m, 3m);
        await WaitForAsync(page, "window.__liveState.drawn.markers >= 1", "the fill is drawn as a marker");
        await WaitForAsync(page, "window.__liveState.drawn.orderLines === 1", "the filled order's line is removed");
        Assert.Equal(["SELL"], await State<string[]>(page, "drawn.orderLineSides"));
        Assert.True(await State<long>(page, "drawn.lastCandleTime") >= lastCandle);
        Assert.Equal("1", await page.GetAttributeAsync("#buys", "data-value"));
        Assert.Equal("1", await page.GetAttributeAsync("#chart", "data-markers"));

        // Header figures against the venue's own numbers (through the connector); the engine is not running here.
        var account = await _connector.Exchange.GetAccountAsync();
        var position = (await _connector.Exchange.GetPositionsAsync("BTCUSDT")).Single();
        Assert.Equal(0.01m, position.Size);
        await WaitForAsync(page, "document.querySelector('#position').dataset.value === '0.01'", "the position reaches the header");
        await WaitForAsync(page, $"Number(document.querySelector('#balance').dataset.value) === {account.WalletBalance.ToString(CultureInfo.InvariantCulture)}", "the balance after the fill reaches the header");
        Assert.Equal(account.WalletBalance, Figure(await page.GetAttributeAsync("#balance", "data-value")));
        Assert.Equal(position.EntryPrice, Figure(await page.GetAttributeAsync("#entry", "data-value")));
        var available = Figure(await page.GetAttributeAsync("#available", "data-value"));
        Assert.InRange(available, 0m, account.WalletBalance);
        Assert.Equal("engine unavailable", await page.TextContentAsync("#rpnl"));
        Assert.Equal("UNAVAILABLE", await page.GetAttributeAsync("#link-engine", "data-state"));
        Assert.Equal("UNKNOWN", await page.GetAttributeAsync("#risk-banner", "data-state"));
        Assert.Contains("engine unavailable", await page.TextContentAsync("#risk-banner") ?? "", StringComparison.Ordinal);
        Assert.Equal("sound off", await page.TextContentAsync("#sound"));

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "liveserver-page.png"), FullPage = true });

        // Two symbols: the switcher shows and redraws the chart for the other one.
        Assert.True(await page.IsVisibleAsync("#symbol-switcher"));
        await page.SelectOptionAsync("#symbol-switcher", "ETHUSDT");
        await WaitForAsync(page, "window.__liveState.symbol === 'ETHUSDT' && window.__liveState.drawn.orderLines === 0 && window.__liveState.drawn.candles > 50", "ETHUSDT is drawn");
        Assert.Equal("0", await page.GetAttributeAsync("#buys", "data-value"));

        await _connector.Exchange.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(sell.ExchangeOrderId));
        Assert.Empty(errors);
        Assert.Empty(external);
        Assert.NotNull(buy);
    }

    [Fact]
    public async Task RiskBannerAndEngineFiguresFollowTheEngine()
    {
        var state = new WireEngine.EngineState { Quantity = 0.02m, EntryPrice = 95_000.0m, RealizedPnl = 12.5m };
        await using var engine = await WireEngine.StartAsync(state);
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, engine.Address);
        await server.WaitUntilConnectedAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };

        await page.GotoAsync(server.HttpAddress.ToString());
        await WaitForAsync(page, "document.querySelector('#risk-banner').dataset.state === 'TRADING'", "the engine says it trades");
        Assert.Equal("BTCUSDT", await State<string>(page, "symbol"));
        await WaitForAsync(page, "document.querySelector('#rpnl').dataset.value === '12.5'", "the engine's realised PnL is shown");
        Assert.Equal("0.02", await page.GetAttributeAsync("#position", "data-value"));
        Assert.Contains("engine", await page.TextContentAsync("#position") ?? "", StringComparison.Ordinal);

        state.BreakerOpen = true;
        state.BreakerReason = "drawdown 500 USDT reached";
        await WaitForAsync(page, "document.querySelector('#risk-banner').dataset.state === 'CIRCUIT_OPEN'", "the open breaker is shown");
        Assert.Equal("circuit breaker open: drawdown 500 USDT reached", await page.TextContentAsync("#risk-banner"));

        state.BreakerOpen = false;
        state.LimitType = "connector_unreachable";
        await state.Alerts.Writer.WriteAsync(new Contracts.Wire.RiskAlert { AlertType = "connector_unreachable", Severity = "critical", Message = "connector unreachable, placing nothing", Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        await WaitForAsync(page, "document.querySelector('#risk-banner').dataset.state === 'HALTED'", "the halt is shown");
        Assert.Equal("halted: connector unreachable, placing nothing", await page.TextContentAsync("#risk-banner"));

        await page.SelectOptionAsync("#symbol-switcher", "ETHUSDT");
        await WaitForAsync(page, "document.querySelector('#risk-banner').dataset.state === 'NOT_TRADED'", "a symbol the engine does not trade says so");

        await engine.DisposeAsync();
        await WaitForAsync(page, "document.querySelector('#link-engine').dataset.state === 'UNAVAILABLE'", "the engine loss is shown");
        Assert.Equal("engine unavailable", await page.TextContentAsync("#rpnl"));
        Assert.Empty(errors);
    }
}
