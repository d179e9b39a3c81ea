using System.Security.Cryptography;
using System.Text;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget signing (https://www.bitget.com/api-doc/common/signature): <c>base64(HMAC-SHA256(secret, timestamp + METHOD +
/// requestPath + ("?" + query) + body))</c> with the millisecond timestamp, in <c>ACCESS-SIGN</c> beside
/// <c>ACCESS-KEY</c>, <c>ACCESS-TIMESTAMP</c> and <c>ACCESS-PASSPHRASE</c>. The query is signed exactly as sent. The
/// WebSocket login signs <c>seconds + "GET" + "/user/verify"</c>.
/// </summary>
internal static class BitgetSigner
{
    public const string KeyHeader = "ACCESS-KEY";
    public const string SignHeader = "ACCESS-SIGN";
    public const string TimestampHeader = "ACCESS-TIMESTAMP";
    public const string PassphraseHeader = "ACCESS-PASSPHRASE";
    public const string LoginPath = "/user/verify";

    /// <summary>The REST string to sign.</summary>
    public static string RestPayload(long timestampMs, string method, string path, string query, string? body) =>
        timestampMs.ToString(System.Globalization.CultureInfo.InvariantCulture) + method.ToUpperInvariant() + path + (query.Length > 0 ? "?" + query : "") + (body ?? "");

    /// <summary>The WebSocket login string to sign.</summary>
    public static string LoginPayload(long timestampSeconds) =>
        timestampSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "GET" + LoginPath;

    /// <summary>base64(HMAC-SHA256(secret, payload)).</summary>
    public static string Sign(string secret, string payload)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload), hash);
        return Convert.ToBase64String(hash);
    }
}
