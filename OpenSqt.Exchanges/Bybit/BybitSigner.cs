using System.Security.Cryptography;
using System.Text;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 HMAC-SHA256 signing (https://bybit-exchange.github.io/docs/v5/guide): the REST string to sign is
/// timestamp + api key + recv window + (the query string exactly as sent for GET | the raw JSON body for POST); the
/// private WebSocket signs <c>GET/realtime</c> + expires. Signatures are lowercase hex.
/// </summary>
internal static class BybitSigner
{
    public const string ApiKeyHeader = "X-BAPI-API-KEY";
    public const string TimestampHeader = "X-BAPI-TIMESTAMP";
    public const string RecvWindowHeader = "X-BAPI-RECV-WINDOW";
    public const string SignHeader = "X-BAPI-SIGN";

    /// <summary>hex(HMAC-SHA256(secret, payload)), lowercase.</summary>
    public static string Sign(string secret, string payload)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The REST string to sign.</summary>
    public static string RestPayload(string timestamp, string apiKey, string recvWindow, string queryOrBody) =>
        string.Concat(timestamp, apiKey, recvWindow, queryOrBody);

    /// <summary>The private WebSocket auth string to sign.</summary>
    public static string WsAuthPayload(long expiresMs) => "GET/realtime" + expiresMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
