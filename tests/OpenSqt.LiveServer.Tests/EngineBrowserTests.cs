using System.Globalization;
using Grpc.Net.Client;
using Microsoft.Playwright;
using OpenSqt.Contracts;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.LiveServer.Tests;

/// <summary>
/// The running system on the sim: connector, the real engine trading a BTCUSDT grid, the LiveServer, and the page in
/// Debian's Chromium. The header figures are checked against the engine's own PositionService.
/// </summary>
public sealed class EngineBrowserTests : IAsyncLifetime
{
    private const string ServiceKey = "test-service-key-0123456789abcdef";
    private ConnectorHost _connector = null!;
    private EngineProcessHost _engine = null!;
    private LiveServerHost _server = null!;

    public async Task InitializeAsync()
    {
        // Every gRPC endpoint requires the service key, as under the AppHost.
        _connector = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Auth:ApiKeys:0"] = ServiceKey });
        _connector.Sim.Trade("BTCUSDT", 95_000.0m, 1m);
        _engine = await EngineProcessHost.StartAsync(_connector.GrpcAddress, ServiceKey);
        _server = await LiveServerHost.StartAsync(_connector.GrpcAddress, _engine.GrpcAddress, new Dictionary<string, string?>
        {
            ["RemoteExchange:ApiKey"] = ServiceKey,
            ["EngineClient:ApiKey"] = ServiceKey,
        });
        await _server.WaitUntilConnectedAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _engine.DisposeAsync();
        await _connector.DisposeAsync();
    }

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

    private static async Task<decimal?> FigureAsync(IPage page, string id)
    {
        var text = await page.GetAttributeAsync(id, "data-value");
        return string.IsNullOrEmpty(text) ? null : decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task PageShowsTheEnginesGridAndFillsWithTheEnginesOwnFigures()
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

        await page.GotoAsync(_server.HttpAddress.ToString());
        await WaitForAsync(page, "window.__liveState.symbol === 'BTCUSDT' && window.__liveState.drawn.candles > 50", "candles are drawn");
        await WaitForAsync(page, "window.__liveState.engine && window.__liveState.engine.state === 'CONNECTED'", "the engine link is up");
        await WaitForAsync(page, "window.__liveState.drawn.orderLines >= 1", "the engine's grid orders are drawn");
        Assert.All(await page.EvaluateAsync<string[]>("() => window.__liveState.drawn.orderLineSides"), side => Assert.Equal("BUY", side));

        // Both levels of the dead-man's switch: the engine's lease at the connector and the venue's countdown it armed.
        await WaitForAsync(page, "window.__liveState.safety && window.__liveState.safety.leases.length === 1 && window.__liveState.safety.armed.length === 1",
            "the engine's lease and the armed venue countdown are shown");
        Assert.Equal("armed", await page.GetAttributeAsync("#safety-switch", "data-state"));
        Assert.Contains("BTCUSDT refreshed", await page.TextContentAsync("#safety-switch"), StringComparison.Ordinal);
        var leaseText = await page.TextContentAsync("#safety-leases") ?? "";
        Assert.Contains("market-maker", leaseText, StringComparison.Ordinal);
        Assert.Contains("renewed", leaseText, StringComparison.Ordinal);

        // The market comes down through the highest buy, then back up through the sell the engine places above it.
        _connector.Sim.Trade("BTCUSDT", 94_850.0m, 5m);
        await WaitForAsync(page, "window.__liveState.drawn.markers >= 1", "the buy fill is drawn as a marker");
        await WaitForAsync(page, "window.__liveState.drawn.orderLineSides.includes('SELL')", "the engine's sell is drawn");
        _connector.Sim.Trade("BTCUSDT", 95_100.0m, 5m);
        await WaitForAsync(page, "window.__liveState.drawn.markers >= 2", "the sell fill is drawn as a marker");

        using var channel = GrpcChannel.ForAddress(_engine.GrpcAddress, new GrpcChannelOptions
        {
            Credentials = Grpc.Core.ChannelCredentials.Create(Grpc.Core.ChannelCredentials.Insecure, Grpc.Core.CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("x-api-key", ServiceKey);
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
        var positions = new W.PositionService.PositionServiceClient(channel);
        var risk = new W.RiskService.RiskServiceClient(channel);
        decimal engineQuantity = 0, engineRealized = 0;
        decimal? shownQuantity = null, shownRealized = null;
        async Task<bool> HeaderMatchesEngineAsync()
        {
            var position = (await positions.GetPositionAsync(new W.PositionServiceGetPositionRequest { Symbol = "BTCUSDT" })).Position;
            var pnl = await positions.GetRealizedPnLAsync(new W.PositionServiceGetRealizedPnLRequest { Symbols = { "BTCUSDT" } });
            engineQuantity = position.Quantity.ToDecimal();
            engineRealized = pnl.BySymbol.Single(s => s.Symbol == "BTCUSDT").RealizedPnl.ToDecimal();
            shownQuantity = await FigureAsync(page, "#position");
            shownRealized = await FigureAsync(page, "#rpnl");
            return engineRealized != 0
                && shownQuantity == engineQuantity
                && shownRealized is { } shown && Math.Round(shown, 8) == Math.Round(engineRealized, 8);
        }

        try
        {
            await Eventually.TrueAsync(HeaderMatchesEngineAsync, TimeSpan.FromSeconds(30), "the header shows the engine's position and realised PnL");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}: engine position {engineQuantity} realised {engineRealized}, page position {shownQuantity} realised {shownRealized}", ex);
        }

        var openOrders = await positions.GetOpenOrdersAsync(new W.PositionServiceGetOpenOrdersRequest { Symbols = { "BTCUSDT" } });
        await WaitForAsync(page, $"window.__liveState.drawn.orderLines === {openOrders.Orders.Count}", "one line per working order of the engine");
        var breaker = await risk.GetCircuitBreakerStatusAsync(new W.GetCircuitBreakerStatusRequest { Symbol = "BTCUSDT" });
        Assert.False(breaker.Status.IsOpen);
        Assert.Equal("TRADING", await page.GetAttributeAsync("#risk-banner", "data-state"));
        Assert.Equal("CONNECTED", await page.GetAttributeAsync("#link-engine", "data-state"));
        Assert.True(await FigureAsync(page, "#buys") >= 1);
        Assert.True(await FigureAsync(page, "#sells") >= 1);
        var account = await _connector.Exchange.GetAccountAsync();
        Assert.Equal(account.WalletBalance, await FigureAsync(page, "#balance"));

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(artifacts, "liveserver-engine-page.png"), FullPage = true });
        Assert.Empty(errors);
    }
}
