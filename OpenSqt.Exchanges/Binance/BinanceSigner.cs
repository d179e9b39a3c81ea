using System.Security.Cryptography;
using System.Text;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance HMAC-SHA256 signing (https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info):
/// REST signs the query string and the form body concatenated without a separator, percent-encoded; the WebSocket API
/// signs its params sorted by key, not percent-encoded. Signatures are lowercase hex.
/// </summary>
internal static class BinanceSigner
{
    /// <summary>hex(HMAC-SHA256(secret, payload)), lowercase.</summary>
    public static string Sign(string secret, string payload)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The REST payload: query string and body concatenated as sent.</summary>
    public static string RestPayload(string? queryString, string? body) => (queryString ?? "") + (body ?? "");

    /// <summary>The WebSocket API payload: every param except <c>signature</c>, sorted by key, <c>k=v</c> joined by '&amp;'.</summary>
    public static string WsApiPayload(IEnumerable<KeyValuePair<string, string>> parameters) =>
        string.Join('&', parameters
            .Where(p => p.Key != "signature")
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));
}
