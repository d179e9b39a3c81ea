using System.Text.Json;
using OpenSqt.Exchanges.Gate;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

public sealed class GateSigningTests
{
    private static readonly string[] RestNames = ["gate_rest_get", "gate_rest_post"];

    public static TheoryData<string> RestVectors => [.. RestNames];

    [Fact]
    public void EveryGateSigningVectorIsCovered()
    {
        var all = Vectors.Names("signing", "gate_").ToArray();
        Assert.Equal(all.Order(), RestNames.Concat(["gate_ws_api_login", "gate_ws_channel_auth"]).Order());
    }

    [Theory]
    [MemberData(nameof(RestVectors))]
    public void RestPayloadAndSignatureMatchTheVector(string name)
    {
        var v = Vectors.File("signing", name);
        var body = v.GetProperty("body").GetString()!;
        Assert.Equal(v.GetProperty("body_sha512").GetString(), GateSigner.BodyHash(body));
        var payload = GateSigner.RestPayload(
            v.GetProperty("method").GetString()!,
            v.GetProperty("path").GetString()!,
            v.GetProperty("query_string").GetString()!,
            body,
            long.Parse(v.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), GateSigner.Sign(v.GetProperty("secret").GetString()!, payload));
    }

    [Fact]
    public void EmptyBodyHashesToTheSha512OfNothing()
    {
        Assert.Equal(GateSigner.BodyHash(""), GateSigner.BodyHash(null));
        Assert.StartsWith("cf83e1357eefb8bd", GateSigner.BodyHash(null), StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelAuthPayloadAndSubscribeRequestMatchTheVector()
    {
        var v = Vectors.File("signing", "gate_ws_channel_auth");
        var message = v.GetProperty("message");
        var time = message.GetProperty("time").GetInt64();
        var payload = GateSigner.ChannelPayload(message.GetProperty("channel").GetString()!, message.GetProperty("event").GetString()!, time);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        var expected = v.GetProperty("expected_signature").GetString();
        Assert.Equal(expected, GateSigner.Sign(v.GetProperty("secret").GetString()!, payload));
        Assert.True(GateSignature.VerifyChannel(v.GetProperty("secret").GetString()!, message.GetProperty("channel").GetString()!, message.GetProperty("event").GetString()!, time, expected!));
        Assert.False(GateSignature.VerifyChannel(v.GetProperty("secret").GetString()!, message.GetProperty("channel").GetString()!, message.GetProperty("event").GetString()!, time + 1, expected!));

        var request = GateUserStream.SubscribeRequest("futures.orders", "20011", "xxxx", v.GetProperty("secret").GetString()!, time);
        using var doc = JsonDocument.Parse(request);
        var root = doc.RootElement;
        Assert.Equal(time, root.GetProperty("time").GetInt64());
        Assert.Equal("futures.orders", root.GetProperty("channel").GetString());
        Assert.Equal("subscribe", root.GetProperty("event").GetString());
        Assert.Equal(["20011", "!all"], root.GetProperty("payload").EnumerateArray().Select(e => e.GetString()));
        var auth = root.GetProperty("auth");
        Assert.Equal("api_key", auth.GetProperty("method").GetString());
        Assert.Equal("xxxx", auth.GetProperty("KEY").GetString());
        Assert.Equal(message.GetProperty("auth").GetProperty("SIGN").GetString(), auth.GetProperty("SIGN").GetString());
    }

    [Fact]
    public void WsApiLoginSignatureUsesTheSameHmacPrimitive()
    {
        // The WS API (order entry over WebSocket) is not used by this connector; its login vector checks the HMAC-SHA512 hex primitive.
        var v = Vectors.File("signing", "gate_ws_api_login");
        Assert.Equal(v.GetProperty("expected_signature").GetString(), GateSigner.Sign(v.GetProperty("secret").GetString()!, v.GetProperty("payload").GetString()!));
    }

    [Theory]
    [MemberData(nameof(RestVectors))]
    public void SimulatorChecksTheVectorSignatureAndRefusesOneCharacterChanged(string name)
    {
        // The simulator's check is written from Gate's documentation on its own; the vector binds it to the connector's signer.
        var v = Vectors.File("signing", name);
        string S(string field) => v.GetProperty(field).GetString()!;
        var signature = S("expected_signature");
        Assert.True(GateSignature.VerifyRest(S("secret"), S("method"), S("path"), S("query_string"), S("body"), S("timestamp"), signature));
        Assert.True(GateSignature.VerifyRest(S("secret"), S("method"), S("path"), S("query_string"), S("body"), S("timestamp"), signature.ToUpperInvariant()));
        var tampered = (signature[0] == 'f' ? "e" : "f") + signature[1..];
        Assert.False(GateSignature.VerifyRest(S("secret"), S("method"), S("path"), S("query_string"), S("body"), S("timestamp"), tampered));
        Assert.False(GateSignature.VerifyRest(S("secret"), S("method").ToLowerInvariant(), S("path"), S("query_string"), S("body"), S("timestamp"), signature));
        Assert.False(GateSignature.VerifyRest(S("secret"), S("method"), S("path"), S("query_string"), S("body") + " ", S("timestamp"), signature));
    }
}
