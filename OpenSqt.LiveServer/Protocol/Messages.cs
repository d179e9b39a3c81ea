using System.Text.Json.Serialization;
using OpenSqt.Contracts;

namespace OpenSqt.LiveServer.Protocol;

/// <summary>
/// The JSON messages the LiveServer sends to browsers over <c>/ws</c>; documented in README.md and validated against
/// <c>wwwroot/schema/messages.schema.json</c>. Every time is Unix seconds (the chart's UTCTimestamp); sides and
/// statuses are upper-case names (BUY, SELL, NEW, PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED).
/// </summary>
public static class MessageTypes
{
    public const string History = "history";
    public const string Kline = "kline";
    public const string Orders = "orders";
    public const string TradeEvent = "trade_event";
    public const string Account = "account";
    public const string Position = "position";
    public const string RiskStatus = "risk_status";
    public const string Connection = "connection";
    public const string Safety = "safety";

    public static IReadOnlyList<string> All { get; } = [History, Kline, Orders, TradeEvent, Account, Position, RiskStatus, Connection, Safety];
}

public sealed record CandleDto(long Time, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume);

public sealed record OrderDto(
    string OrderId, string? ClientOrderId, string Side, string Type, string Status,
    decimal Price, decimal Quantity, decimal FilledQuantity, long Time);

public sealed record FillDto(
    string TradeId, string OrderId, string? ClientOrderId, string Side, decimal Price, decimal Quantity,
    decimal Fee, string FeeAsset, decimal RealizedPnl, long Time, long BarTime);

public sealed record HistoryMessage(string Symbol, string Interval, IReadOnlyList<CandleDto> Candles, IReadOnlyList<FillDto> Fills, int BuyCount, int SellCount)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.History;
}

public sealed record KlineMessage(string Symbol, string Interval, CandleDto Candle, bool Closed)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.Kline;
}

/// <summary>Working orders: <see cref="Snapshot"/> true replaces the symbol's set; false upserts, and an order in a terminal status is removed.</summary>
public sealed record OrdersMessage(string Symbol, bool Snapshot, IReadOnlyList<OrderDto> Orders)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.Orders;
}

public sealed record TradeEventMessage(string Symbol, FillDto Fill, int BuyCount, int SellCount)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.TradeEvent;
}

public sealed record AccountMessage(decimal WalletBalance, decimal MarginBalance, decimal AvailableBalance, decimal UnrealizedPnl, long Time)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.Account;
}

/// <summary>A position as the connector (venue) or the engine sees it; <see cref="RealizedPnl"/> is known only from the engine.</summary>
public sealed record PositionMessage(
    string Symbol, string Source, decimal Size, decimal EntryPrice, decimal MarkPrice, decimal UnrealizedPnl, decimal? RealizedPnl, long Time)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.Position;
}

public sealed record CircuitBreakerDto(bool Open, string Reason, long OpenedAt, int ConsecutiveLosses);

public sealed record RiskAlertDto(string AlertType, string Severity, string Message, long Time);

public sealed record RiskStatusMessage(
    string Symbol, string Engine, string State, string Reason, CircuitBreakerDto? CircuitBreaker, decimal? RealizedPnl, RiskAlertDto? LastAlert)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.RiskStatus;
}

public sealed record LinkStatusDto(string State, string Detail, long Since);

/// <summary>Venue, watched symbols (and which of them the engine trades) and the server's links to connector and engine.</summary>
public sealed record ConnectionMessage(string Venue, string Interval, IReadOnlyList<string> Symbols, IReadOnlyList<string> EngineSymbols, LinkStatusDto Connector, LinkStatusDto Engine)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.Connection;
}

/// <summary>One countdown armed at the venue; <see cref="Symbol"/> is null for an account-wide countdown.</summary>
public sealed record ArmedSwitchDto(string? Symbol, long LastRefreshedAt, long FiresAt);

/// <summary>One client's lease at the connector (an engine): the orders whose client id starts with the prefix are its own.</summary>
public sealed record LeaseDto(string ClientName, string Prefix, int TtlSeconds, long LastRenewedAt, long ExpiresAt);

/// <summary>
/// The dead-man's switch at both levels: whether the venue's cancel-all-after countdown is armed (and when it was last
/// refreshed), and the engines' leases at the connector (and when each was last renewed).
/// </summary>
public sealed record SafetyMessage(
    string Venue, bool SwitchSupported, bool SwitchEnabled, int TimeoutSeconds, string Scope, IReadOnlyList<ArmedSwitchDto> Armed,
    string? SwitchError, string? SwitchNote, IReadOnlyList<LeaseDto> Leases, long LapsedLeases, long OrdersCancelledByLapse)
{
    [JsonPropertyOrder(-1)]
    public string Type => MessageTypes.Safety;
}

/// <summary>Link states in <see cref="ConnectionMessage"/>.</summary>
public static class LinkStates
{
    public const string Connecting = "CONNECTING";
    public const string Connected = "CONNECTED";
    public const string Disconnected = "DISCONNECTED";
    public const string Unavailable = "UNAVAILABLE";
}

/// <summary>Risk states in <see cref="RiskStatusMessage"/>.</summary>
public static class RiskStates
{
    public const string Trading = "TRADING";
    public const string Halted = "HALTED";
    public const string CircuitOpen = "CIRCUIT_OPEN";
    public const string NotTraded = "NOT_TRADED";
    public const string Unknown = "UNKNOWN";
}

/// <summary>Domain to page names: one place, so page and server never disagree.</summary>
public static class PageNames
{
    public static string Of(OrderSide side) => side switch
    {
        OrderSide.Buy => "BUY",
        OrderSide.Sell => "SELL",
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "unknown side"),
    };

    public static string Of(OrderStatus status) => status switch
    {
        OrderStatus.New => "NEW",
        OrderStatus.PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus.Filled => "FILLED",
        OrderStatus.Canceled => "CANCELED",
        OrderStatus.Rejected => "REJECTED",
        OrderStatus.Expired => "EXPIRED",
        OrderStatus.Unknown => "UNKNOWN",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unknown status"),
    };

    public static string Of(OrderType type) => type switch
    {
        OrderType.Limit => "LIMIT",
        OrderType.Market => "MARKET",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown order type"),
    };

    /// <summary>Unix seconds, the unit of the chart's time scale.</summary>
    public static long Seconds(DateTimeOffset time) => time == default ? 0 : time.ToUnixTimeSeconds();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(HistoryMessage))]
[JsonSerializable(typeof(KlineMessage))]
[JsonSerializable(typeof(OrdersMessage))]
[JsonSerializable(typeof(TradeEventMessage))]
[JsonSerializable(typeof(AccountMessage))]
[JsonSerializable(typeof(PositionMessage))]
[JsonSerializable(typeof(RiskStatusMessage))]
[JsonSerializable(typeof(ConnectionMessage))]
[JsonSerializable(typeof(SafetyMessage))]
public sealed partial class LiveJsonContext : JsonSerializerContext;
