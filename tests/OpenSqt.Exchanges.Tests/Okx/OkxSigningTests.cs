using System.Text.Json;
using OpenSqt.Exchanges.Okx;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

public sealed class OkxSigningTests
{
    private static readonly string[] AllNames = ["okx_rest_get", "okx_rest_post", "okx_ws_login"];

    public static TheoryData<string> AllVectors => [.. AllNames];

    [Fact]
    public void EveryOkxSigningVectorIsCovered()
    {
        Assert.Equal(Vectors.Names("signing", "okx_").Order(), AllNames.Order());
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void SignatureOfThePublishedPayloadMatches(string name)
    {
        var v = Vectors.File("signing", name);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), OkxSigner.Sign(v.GetProperty("secret").GetString()!, v.GetProperty("payload").GetString()!));
    }

    [Theory]
    [InlineData("okx_rest_get")]
    [InlineData("okx_rest_post")]
    public void RestPayloadIsTimestampMethodPathWithQueryThenBody(string name)
    {
        var v = Vectors.File("signing", name);
        var payload = OkxSigner.RestPayload(v.GetProperty("timestamp").GetString()!, v.GetProperty("method").GetString()!, v.GetProperty("request_path").GetString()!, v.GetProperty("body").GetString()!);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
    }

    [Fact]
    public void TimestampIsIsoUtcWithMillisecondsAndZ()
    {
        var v = Vectors.File("signing", "okx_rest_get");
        var expected = v.GetProperty("timestamp").GetString()!;
        var ms = DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        Assert.Equal(expected, OkxSigner.Timestamp(ms));
        Assert.Equal("2020-12-08T09:08:57.000Z", OkxSigner.Timestamp(ms - 715));
    }

    [Fact]
    public void LoginMessageMatchesTheVector()
    {
        var v = Vectors.File("signing", "okx_ws_login");
        var expected = v.GetProperty("message").GetProperty("args")[0];
        var message = OkxUserStream.LoginMessage(expected.GetProperty("apiKey").GetString()!, expected.GetProperty("passphrase").GetString()!, v.GetProperty("secret").GetString()!, v.GetProperty("timestamp").GetString()!);
        using var doc = JsonDocument.Parse(message);
        Assert.Equal("login", doc.RootElement.GetProperty("op").GetString());
        var arg = doc.RootElement.GetProperty("args")[0];
        foreach (var field in new[] { "apiKey", "passphrase", "timestamp", "sign" })
        {
            Assert.Equal(expected.GetProperty(field).GetString(), arg.GetProperty(field).GetString());
        }
    }

    [Fact]
    public void VerifyRejectsOneChangedCharacter()
    {
        var v = Vectors.File("signing", "okx_rest_post");
        var secret = v.GetProperty("secret").GetString()!;
        var payload = v.GetProperty("payload").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;
        Assert.True(OkxSimulator.SignatureMatches(secret, payload, signature));
        Assert.False(OkxSimulator.SignatureMatches(secret, payload.Replace("\"5\"", "\"6\"", StringComparison.Ordinal), signature));
    }
}
