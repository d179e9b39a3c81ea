using OpenSqt.Contracts;
using OpenSqt.LiveServer.Protocol;

namespace OpenSqt.LiveServer.Hub;

/// <summary>Everything that changes what browsers see goes through the hub's one channel, as one of these.</summary>
public abstract record HubInput;

/// <summary>The connector session knows the venue and which symbols to watch.</summary>
public sealed record SymbolsInput(string Venue, IReadOnlyList<string> Symbols) : HubInput;

/// <summary>Candle history of one symbol, oldest first (replaces what the hub holds).</summary>
public sealed record HistoryInput(string Symbol, IReadOnlyList<Candle> Candles) : HubInput;

public sealed record KlineInput(Candle Candle) : HubInput;

/// <summary>Every working order of the watched symbols, as the venue reports them now.</summary>
public sealed record OpenOrdersInput(IReadOnlyList<Order> Orders) : HubInput;

public sealed record OrderUpdateInput(OrderUpdate Update) : HubInput;

public sealed record AccountInput(Account Account) : HubInput;

/// <summary>Positions from the connector; a snapshot marks every watched symbol it does not list as flat.</summary>
public sealed record ConnectorPositionsInput(IReadOnlyList<Position> Positions, bool Snapshot) : HubInput;

/// <summary>The engine's own view of one position (PositionService).</summary>
public sealed record EnginePositionInput(
    string Symbol, decimal Quantity, decimal EntryPrice, decimal CurrentPrice, decimal UnrealizedPnl, decimal RealizedPnl, DateTimeOffset UpdatedAt) : HubInput;

/// <summary>The symbols the engine trades (from PositionService.GetPositions without a filter).</summary>
public sealed record EngineSymbolsInput(IReadOnlyList<string> Symbols) : HubInput;

/// <summary>
/// Polled engine risk data of one symbol: circuit breaker, realised PnL, and why the engine does not trade it normally
/// (<see cref="HaltType"/> from RiskService.GetRiskMetrics: fatal, connector_unreachable, market_anomaly; null when trading).
/// </summary>
public sealed record EngineRiskInput(string Symbol, CircuitBreakerDto CircuitBreaker, decimal? RealizedPnl, string? HaltType) : HubInput;

/// <summary>A risk alert pushed by the engine; an empty symbol concerns every symbol.</summary>
public sealed record RiskAlertInput(string Symbol, RiskAlertDto Alert) : HubInput;

/// <summary>The server's link to the connector or the engine changed state.</summary>
public sealed record LinkInput(string Link, string State, string Detail) : HubInput
{
    public const string Connector = "connector";
    public const string Engine = "engine";
}

/// <summary>The connector's dead-man's switch and leases.</summary>
public sealed record SafetyInput(OpenSqt.Contracts.Remote.ConnectorSafetyStatus Status) : HubInput;

public sealed record JoinInput(LiveClient Client) : HubInput;

public sealed record LeaveInput(LiveClient Client) : HubInput;
