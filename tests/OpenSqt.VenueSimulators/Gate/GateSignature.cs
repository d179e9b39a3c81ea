using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace OpenSqt.VenueSimulators.Gate;

/// <summary>
/// Gate's signature check as the venue documents it, written for the simulator on its own (never from the connector's
/// signer, or a shared misunderstanding would pass every test).
/// REST (https://www.gate.com/docs/developers/apiv4/en/#api-signature-string-generation and the official
/// <c>gen_sign</c> sample on that page): <c>SIGN</c> = hex(HMAC-SHA512(secret, Method + "\n" + URL path (with /api/v4)
/// + "\n" + query string as sent + "\n" + hex(SHA512(request payload, "" when none)) + "\n" + Timestamp header)).
/// WebSocket (https://www.gate.com/docs/developers/futures/ws/en/#authentication): the same HMAC over
/// <c>channel=&lt;channel&gt;&amp;event=&lt;event&gt;&amp;time=&lt;time&gt;</c>, sent in the request's <c>auth.SIGN</c>.
/// </summary>
public static class GateSignature
{
    /// <summary>Whether <paramref name="signature"/> signs the REST request (hex, either case).</summary>
    public static bool VerifyRest(string secret, string method, string path, string query, string body, string timestamp, string signature)
    {
        var payloadHash = Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(body)));
        return Matches(secret, $"{method}\n{path}\n{query}\n{payloadHash}\n{timestamp}", signature);
    }

    /// <summary>Whether <paramref name="signature"/> signs the private channel request.</summary>
    public static bool VerifyChannel(string secret, string channel, string @event, long time, string signature) =>
        Matches(secret, "channel=" + channel + "&event=" + @event + "&time=" + time.ToString(CultureInfo.InvariantCulture), signature);

    /// <summary>hex(HMAC-SHA512(secret, text)), lowercase: what a client sends for <paramref name="text"/>.</summary>
    public static string Sign(string secret, string text) =>
        Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text)));

    private static bool Matches(string secret, string text, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, text)), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));
}
