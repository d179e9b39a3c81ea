using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// One Gate futures contract: its OpenSqt rules in base units, its <c>quanto_multiplier</c> (base units per contract),
/// and its funding schedule.
/// </summary>
internal sealed record GateContract(string Name, SymbolRules Rules, decimal Multiplier, decimal FundingRate, decimal IndicativeFundingRate, DateTimeOffset FundingNextApply, TimeSpan FundingInterval)
{
    public string Symbol => Rules.Symbol;

    /// <summary>The next funding time at or after <paramref name="now"/>, stepping by the contract's funding interval.</summary>
    public DateTimeOffset NextFundingAfter(DateTimeOffset now)
    {
        var next = FundingNextApply;
        if (FundingInterval <= TimeSpan.Zero || next >= now)
        {
            return next;
        }

        var steps = (long)Math.Ceiling((now - next).Ticks / (double)FundingInterval.Ticks);
        return next + TimeSpan.FromTicks(FundingInterval.Ticks * steps);
    }
}

/// <summary>One fill of <c>futures.usertrades</c>, before it is matched to its order update. Size in contracts, signed.</summary>
internal sealed record GateUserTrade(string TradeId, string OrderId, string Contract, decimal Size, decimal Price, decimal Fee, bool IsMaker, DateTimeOffset Time);

/// <summary>A WebSocket request: <c>{"time","channel","event","payload","auth"}</c>.</summary>
internal sealed record GateChannelRequest(
    [property: System.Text.Json.Serialization.JsonPropertyName("time")] long Time,
    [property: System.Text.Json.Serialization.JsonPropertyName("channel")] string Channel,
    [property: System.Text.Json.Serialization.JsonPropertyName("event")] string Event,
    [property: System.Text.Json.Serialization.JsonPropertyName("payload")] IReadOnlyList<string>? Payload,
    [property: System.Text.Json.Serialization.JsonPropertyName("auth")]
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    GateChannelAuth? Auth = null);

/// <summary>The per-request authentication of a private channel.</summary>
internal sealed record GateChannelAuth(
    [property: System.Text.Json.Serialization.JsonPropertyName("method")] string Method,
    [property: System.Text.Json.Serialization.JsonPropertyName("KEY")] string Key,
    [property: System.Text.Json.Serialization.JsonPropertyName("SIGN")] string Sign);

[System.Text.Json.Serialization.JsonSerializable(typeof(GateChannelRequest))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class GateJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
