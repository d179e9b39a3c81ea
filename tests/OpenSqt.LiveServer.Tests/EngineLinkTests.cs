using System.Text.Json;
using OpenSqt.LiveServer.Protocol;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.LiveServer.Tests;

/// <summary>The LiveServer's link to the engine, against a real gRPC server speaking the engine's v1 services.</summary>
public sealed class EngineLinkTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private ConnectorHost _connector = null!;

    private const string ServiceKey = "test-service-key-0123456789abcdef";

    // Connector and engine both require the service API key, as under the AppHost.
    public async Task InitializeAsync() => _connector = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Auth:ApiKeys:0"] = ServiceKey });

    public async Task DisposeAsync() => await _connector.DisposeAsync();

    private static string Str(JsonElement m, string name) => m.GetProperty(name).GetString()!;

    [Fact]
    public async Task AnEngineThatIsNotConfiguredIsReportedNotFatal()
    {
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["RemoteExchange:ApiKey"] = ServiceKey,
            ["services:marketmaker:grpc:0"] = null,
        });
        await server.WaitUntilConnectedAsync();
        await Eventually.TrueAsync(() => server.Hub.Snapshot.Engine.State == LinkStates.Unavailable, Wait, "the missing engine address is reported");
        Assert.Contains("_grpc.marketmaker", server.Hub.Snapshot.Engine.Detail, StringComparison.Ordinal);
        await using var browser = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);
        await browser.WaitForAsync(MessageTypes.History, _ => true, "the page is still served");
    }

    [Fact]
    public async Task AWrongEngineKeyIsReportedAsEngineUnavailable()
    {
        var state = new WireEngine.EngineState { ApiKey = ServiceKey };
        await using var engine = await WireEngine.StartAsync(state);
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, engine.Address, new Dictionary<string, string?>
        {
            ["RemoteExchange:ApiKey"] = ServiceKey,
            ["EngineClient:ApiKey"] = "not-the-service-key-at-all",
        });
        await server.WaitUntilConnectedAsync();
        await Eventually.TrueAsync(() => server.Hub.Snapshot.Engine is { State: LinkStates.Unavailable } e && e.Detail.Contains("Unauthenticated", StringComparison.Ordinal),
            Wait, "the refused key is reported");
    }

    [Fact]
    public async Task EnginePositionsPnlAndRiskStateReachTheBrowserAndTheLinkRecovers()
    {
        var state = new WireEngine.EngineState { Quantity = 0.02m, EntryPrice = 95_000.0m, RealizedPnl = 12.5m, ApiKey = ServiceKey };
        var engine = await WireEngine.StartAsync(state);
        var port = engine.Port;
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, engine.Address, new Dictionary<string, string?>
        {
            ["RemoteExchange:ApiKey"] = ServiceKey,
            ["EngineClient:ApiKey"] = ServiceKey,
        });
        await server.WaitUntilConnectedAsync();
        await Eventually.TrueAsync(() => server.Hub.Snapshot.Engine.State == LinkStates.Connected, Wait, "the engine link is up");
        await using var browser = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);

        var connection = await browser.WaitForAsync(MessageTypes.Connection, m => Str(m.GetProperty("engine"), "state") == LinkStates.Connected, "engine connected");
        Assert.Equal(["BTCUSDT"], connection.GetProperty("engineSymbols").EnumerateArray().Select(s => s.GetString()!).ToArray());

        var position = await browser.WaitForAsync(MessageTypes.Position, m => Str(m, "source") == "engine", "the engine's position");
        Assert.Equal(0.02m, position.GetProperty("size").GetDecimal());
        Assert.Equal(12.5m, position.GetProperty("realizedPnl").GetDecimal());

        var trading = await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT" && Str(m, "state") == RiskStates.Trading, "BTCUSDT trading");
        Assert.Equal(12.5m, trading.GetProperty("realizedPnl").GetDecimal());
        Assert.False(trading.GetProperty("circuitBreaker").GetProperty("open").GetBoolean());
        await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "ETHUSDT" && Str(m, "state") == RiskStates.NotTraded, "ETHUSDT not traded by the engine");

        state.BreakerOpen = true;
        state.BreakerReason = "3 consecutive losses";
        var open = await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT" && Str(m, "state") == RiskStates.CircuitOpen, "the open breaker");
        Assert.Equal("3 consecutive losses", Str(open, "reason"));
        Assert.Equal(3, open.GetProperty("circuitBreaker").GetProperty("consecutiveLosses").GetInt32());

        state.BreakerOpen = false;
        state.LimitType = "market_anomaly";
        await state.Alerts.Writer.WriteAsync(new W.RiskAlert { AlertType = "market_anomaly", Severity = "critical", Message = "price jumped 5% in 1 s", Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
        // The halt may first show with the generic reason (the state is polled, the alert streams); the alert's own words follow.
        var halted = await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT" && Str(m, "state") == RiskStates.Halted
            && Str(m, "reason") == "price jumped 5% in 1 s", "the halt with the alert's reason");
        Assert.Equal("market_anomaly", Str(halted.GetProperty("lastAlert"), "alertType"));
        var alertTime = halted.GetProperty("lastAlert").GetProperty("time").GetInt64();
        Assert.InRange(alertTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);

        state.LimitType = "";
        await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT" && Str(m, "state") == RiskStates.Trading
            && browser.OfType(MessageTypes.RiskStatus).Any(h => Str(h, "state") == RiskStates.Halted), "trading again");

        // The engine goes away: browsers are told, and nothing of the engine is shown as if it were still known.
        await engine.DisposeAsync();
        var lost = await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT" && Str(m, "engine") == "UNAVAILABLE", "the engine loss");
        Assert.Equal(RiskStates.Unknown, Str(lost, "state"));
        Assert.Equal(JsonValueKind.Null, lost.GetProperty("realizedPnl").ValueKind);

        // It comes back on the same address: the LiveServer reconnects by itself.
        state.RealizedPnl = 20m;
        await using var back = await WireEngine.StartAsync(state, port);
        await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT" && Str(m, "state") == RiskStates.Trading
            && m.GetProperty("realizedPnl").ValueKind == JsonValueKind.Number && m.GetProperty("realizedPnl").GetDecimal() == 20m, "the engine is back", TimeSpan.FromSeconds(30));

        var problems = browser.Messages.Select(MessageSchema.Check).OfType<string>().ToArray();
        Assert.True(problems.Length == 0, string.Join(Environment.NewLine, problems.Take(5)));
    }
}
