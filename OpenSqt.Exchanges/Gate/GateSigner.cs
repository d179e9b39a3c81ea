using System.Security.Cryptography;
using System.Text;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 signing (https://www.gate.com/docs/developers/apiv4/en/#api-signature-string-generation):
/// <c>hex(HMAC-SHA512(secret, METHOD \n /api/v4/path \n query \n hex(SHA512(body)) \n seconds))</c> in the <c>SIGN</c>
/// header beside <c>KEY</c> and <c>Timestamp</c>. The query is signed exactly as sent. Private WebSocket channels sign
/// <c>channel=&lt;c&gt;&amp;event=&lt;e&gt;&amp;time=&lt;t&gt;</c> in each subscribe request's <c>auth</c> block.
/// </summary>
internal static class GateSigner
{
    public const string KeyHeader = "KEY";
    public const string SignHeader = "SIGN";
    public const string TimestampHeader = "Timestamp";

    /// <summary>hex(SHA-512(body)), lowercase; the hash of "" for an empty body.</summary>
    public static string BodyHash(string? body)
    {
        Span<byte> hash = stackalloc byte[64];
        SHA512.HashData(Encoding.UTF8.GetBytes(body ?? ""), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The REST string to sign.</summary>
    public static string RestPayload(string method, string fullPath, string query, string? body, long timestampSeconds) =>
        string.Join('\n', method, fullPath, query, BodyHash(body), timestampSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The private channel string to sign.</summary>
    public static string ChannelPayload(string channel, string @event, long timestampSeconds) =>
        $"channel={channel}&event={@event}&time={timestampSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>hex(HMAC-SHA512(secret, payload)), lowercase.</summary>
    public static string Sign(string secret, string payload)
    {
        Span<byte> hash = stackalloc byte[64];
        HMACSHA512.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload), hash);
        return Convert.ToHexStringLower(hash);
    }
}
