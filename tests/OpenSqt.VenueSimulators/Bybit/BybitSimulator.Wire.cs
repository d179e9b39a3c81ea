using System.Security.Cryptography;
using System.Text;
using OpenSqt.Contracts;

namespace OpenSqt.VenueSimulators.Bybit;

/// <summary>
/// Bybit's wire values and signature check, written from the documentation and not taken from the connector, so a
/// misunderstanding in the connector cannot pass its own tests.
/// </summary>
public sealed partial class BybitSimulator
{
    /// <summary><c>side</c>: <c>Buy</c>, <c>Sell</c> (https://bybit-exchange.github.io/docs/v5/enum#side).</summary>
    internal static string SideText(OrderSide side) => side == OrderSide.Buy ? "Buy" : "Sell";

    /// <summary><c>timeInForce</c>: <c>GTC</c>, <c>IOC</c>, <c>FOK</c>, <c>PostOnly</c> (https://bybit-exchange.github.io/docs/v5/enum#timeinforce).</summary>
    internal static string TimeInForceText(TimeInForce tif) => tif switch
    {
        TimeInForce.Ioc => "IOC",
        TimeInForce.Fok => "FOK",
        TimeInForce.Gtx => "PostOnly",
        _ => "GTC",
    };

    /// <summary>
    /// Kline <c>interval</c> (https://bybit-exchange.github.io/docs/v5/enum#interval: 1 3 5 15 30 60 120 240 360 720 D W
    /// M) as the engine's interval name; null for one the engine does not keep (W, M) or an unknown one.
    /// </summary>
    internal static string? EngineInterval(string bybitInterval) => bybitInterval switch
    {
        "1" => "1m",
        "3" => "3m",
        "5" => "5m",
        "15" => "15m",
        "30" => "30m",
        "60" => "1h",
        "120" => "2h",
        "240" => "4h",
        "360" => "6h",
        "720" => "12h",
        "D" => "1d",
        _ => null,
    };

    /// <summary>
    /// hex(HMAC-SHA256(secret, payload)) compared in constant time, hex case-insensitive
    /// (https://bybit-exchange.github.io/docs/v5/guide#authentication: REST payload timestamp + api key + recv window +
    /// query string or raw body; WebSocket auth payload <c>GET/realtime</c> + expires).
    /// </summary>
    public static bool SignatureMatches(string secret, string payload, string signature)
    {
        var expected = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload))));
        var actual = Encoding.ASCII.GetBytes(signature.ToLowerInvariant());
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
