using System.Text.Json.Serialization;

namespace OpenSqt.Exchanges.Binance;

/// <summary>A SUBSCRIBE / UNSUBSCRIBE request.</summary>
internal sealed record BinanceStreamRequest(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("params")] IReadOnlyList<string> Params,
    [property: JsonPropertyName("id")] long Id);

/// <summary>Batch order items for POST /fapi/v1/batchOrders.</summary>
internal sealed record BinanceBatchOrderItem
{
    [JsonPropertyName("symbol")]
    public required string Symbol { get; init; }

    [JsonPropertyName("side")]
    public required string Side { get; init; }

    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("quantity")]
    public required string Quantity { get; init; }

    [JsonPropertyName("price")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Price { get; init; }

    [JsonPropertyName("timeInForce")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TimeInForce { get; init; }

    [JsonPropertyName("reduceOnly")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReduceOnly { get; init; }

    [JsonPropertyName("newClientOrderId")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? NewClientOrderId { get; init; }
}

[JsonSerializable(typeof(BinanceStreamRequest))]
[JsonSerializable(typeof(List<BinanceBatchOrderItem>))]
internal sealed partial class BinanceJsonContext : JsonSerializerContext;
