using System.Text.Json.Serialization;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>One channel of a subscribe request: <c>{"instType","channel","instId"}</c> (<c>coin</c> for the account channel).</summary>
internal sealed record BitgetChannelArg(
    [property: JsonPropertyName("instType")] string InstType,
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("instId")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? InstId = null,
    [property: JsonPropertyName("coin")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    string? Coin = null);

/// <summary><c>{"op":"subscribe"|"unsubscribe","args":[...]}</c>.</summary>
internal sealed record BitgetOpRequest(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("args")] IReadOnlyList<BitgetChannelArg> Args);

/// <summary>The login argument.</summary>
internal sealed record BitgetLoginArg(
    [property: JsonPropertyName("apiKey")] string ApiKey,
    [property: JsonPropertyName("passphrase")] string Passphrase,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("sign")] string Sign);

/// <summary><c>{"op":"login","args":[...]}</c>.</summary>
internal sealed record BitgetLoginRequest(
    [property: JsonPropertyName("op")] string Op,
    [property: JsonPropertyName("args")] IReadOnlyList<BitgetLoginArg> Args);

[JsonSerializable(typeof(BitgetOpRequest))]
[JsonSerializable(typeof(BitgetLoginRequest))]
internal sealed partial class BitgetJsonContext : JsonSerializerContext;
