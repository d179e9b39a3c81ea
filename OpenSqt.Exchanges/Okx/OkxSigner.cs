using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 signing (https://www.okx.com/docs-v5/en/#overview-rest-authentication): base64(HMAC-SHA256(secret,
/// timestamp + METHOD + requestPath (with the query for GET) + body)), the timestamp ISO-8601 UTC with milliseconds and
/// <c>Z</c>. The WebSocket login signs Unix seconds + <c>GET/users/self/verify</c>.
/// </summary>
internal static class OkxSigner
{
    public const string KeyHeader = "OK-ACCESS-KEY";
    public const string SignHeader = "OK-ACCESS-SIGN";
    public const string TimestampHeader = "OK-ACCESS-TIMESTAMP";
    public const string PassphraseHeader = "OK-ACCESS-PASSPHRASE";

    public static string Sign(string secret, string payload)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload), hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>The OK-ACCESS-TIMESTAMP form: <c>2020-12-08T09:08:57.715Z</c>.</summary>
    public static string Timestamp(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string RestPayload(string timestamp, string method, string requestPath, string body) => string.Concat(timestamp, method, requestPath, body);

    public static string LoginPayload(string unixSeconds) => unixSeconds + "GET/users/self/verify";
}
