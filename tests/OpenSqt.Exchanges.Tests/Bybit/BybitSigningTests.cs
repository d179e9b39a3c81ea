using OpenSqt.Exchanges.Bybit;
using OpenSqt.VenueSimulators.Bybit;

namespace OpenSqt.Exchanges.Tests.Bybit;

public sealed class BybitSigningTests
{
    private static readonly string[] AllNames = ["bybit_hmac_primitive_legacy_official", "bybit_v5_rest_get", "bybit_v5_rest_post", "bybit_v5_ws_auth"];

    public static TheoryData<string> AllVectors => [.. AllNames];

    [Fact]
    public void EveryBybitSigningVectorIsCovered()
    {
        Assert.Equal(Vectors.Names("signing", "bybit_").Order(), AllNames.Order());
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void SignatureOfThePublishedPayloadMatches(string name)
    {
        var v = Vectors.File("signing", name);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), BybitSigner.Sign(v.GetProperty("secret").GetString()!, v.GetProperty("payload").GetString()!));
    }

    [Theory]
    [InlineData("bybit_v5_rest_get")]
    [InlineData("bybit_v5_rest_post")]
    public void RestPayloadIsTimestampKeyRecvWindowThenQueryOrBody(string name)
    {
        var v = Vectors.File("signing", name);
        var payload = BybitSigner.RestPayload(v.GetProperty("timestamp").GetString()!, v.GetProperty("api_key").GetString()!, v.GetProperty("recv_window").GetString()!, v.GetProperty("query_or_body").GetString()!);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
    }

    [Fact]
    public void WsAuthMessageCarriesKeyExpiresAndTheVectorSignature()
    {
        var v = Vectors.File("signing", "bybit_v5_ws_auth");
        var expires = long.Parse(v.GetProperty("expires").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(v.GetProperty("payload").GetString(), BybitSigner.WsAuthPayload(expires));
        var message = BybitUserStream.AuthMessage(v.GetProperty("api_key").GetString()!, v.GetProperty("secret").GetString()!, expires, "r1");
        using var doc = System.Text.Json.JsonDocument.Parse(message);
        var expected = v.GetProperty("message");
        Assert.Equal(expected.GetProperty("op").GetString(), doc.RootElement.GetProperty("op").GetString());
        var args = doc.RootElement.GetProperty("args");
        Assert.Equal(expected.GetProperty("args")[0].GetString(), args[0].GetString());
        Assert.Equal(expected.GetProperty("args")[1].GetInt64(), args[1].GetInt64());
        Assert.Equal(expected.GetProperty("args")[2].GetString(), args[2].GetString());
    }

    [Fact]
    public void VerifyAcceptsUppercaseHexAndRejectsOneChangedCharacter()
    {
        var v = Vectors.File("signing", "bybit_v5_rest_post");
        var secret = v.GetProperty("secret").GetString()!;
        var payload = v.GetProperty("payload").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;
        Assert.True(BybitSimulator.SignatureMatches(secret, payload, signature.ToUpperInvariant()));
        Assert.False(BybitSimulator.SignatureMatches(secret, payload.Replace("option", "optioN", StringComparison.Ordinal), signature));
        Assert.False(BybitSimulator.SignatureMatches(secret, payload, "0" + signature[1..]));
    }
}
