using OpenSqt.Exchanges.Binance;
using OpenSqt.VenueSimulators.Binance;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Tests.Binance;

public sealed class BinanceSigningTests
{
    private static readonly string[] RestNames = ["binance_rest_hmac_ascii", "binance_rest_hmac_non_ascii", "binance_rest_hmac_query_plus_body"];
    private static readonly string[] WsApiNames = ["binance_ws_api_hmac_ascii", "binance_ws_api_hmac_non_ascii"];

    public static TheoryData<string> RestVectors => [.. RestNames];

    public static TheoryData<string> WsApiVectors => [.. WsApiNames];

    [Fact]
    public void EveryBinanceSigningVectorIsCovered()
    {
        var all = Vectors.Names("signing", "binance_").ToArray();
        Assert.Equal(all.Order(), RestNames.Concat(WsApiNames).Order());
    }

    [Theory]
    [MemberData(nameof(RestVectors))]
    [MemberData(nameof(WsApiVectors))]
    public void SignatureOfThePublishedPayloadMatches(string name)
    {
        var v = Vectors.File("signing", name);
        var signature = BinanceSigner.Sign(v.GetProperty("secret").GetString()!, v.GetProperty("payload").GetString()!);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), signature);
    }

    [Fact]
    public void RestQueryBuilderPercentEncodesNonAsciiLikeTheVector()
    {
        var v = Vectors.File("signing", "binance_rest_hmac_non_ascii");
        var before = v.GetProperty("payload_before_encoding").GetString()!;
        var pairs = before.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1]));
        Assert.Equal(v.GetProperty("payload").GetString(), VenueRestClient.BuildQuery(pairs));
    }

    [Fact]
    public void QueryPlusBodyConcatenatesWithoutSeparator()
    {
        var v = Vectors.File("signing", "binance_rest_hmac_query_plus_body");
        var payload = BinanceSigner.RestPayload(v.GetProperty("query_string").GetString(), v.GetProperty("request_body").GetString());
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), BinanceSigner.Sign(v.GetProperty("secret").GetString()!, payload));
    }

    [Fact]
    public void WsApiPayloadSortsParamsAndReproducesTheSignature()
    {
        var v = Vectors.File("signing", "binance_ws_api_hmac_ascii");
        var parameters = v.GetProperty("request").GetProperty("params").EnumerateObject()
            .Select(p => KeyValuePair.Create(p.Name, p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText()));
        var payload = BinanceSigner.WsApiPayload(parameters);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), BinanceSigner.Sign(v.GetProperty("secret").GetString()!, payload));
    }

    [Fact]
    public void VerifyAcceptsUppercaseHexAndRejectsOneChangedCharacter()
    {
        var v = Vectors.File("signing", "binance_rest_hmac_ascii");
        var secret = v.GetProperty("secret").GetString()!;
        var payload = v.GetProperty("payload").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;
        Assert.True(BinanceSimulator.SignatureMatches(secret, payload, signature.ToUpperInvariant()));
        Assert.False(BinanceSimulator.SignatureMatches(secret, payload.Replace("quantity=1", "quantity=2", StringComparison.Ordinal), signature));
        Assert.False(BinanceSimulator.SignatureMatches(secret, payload, "0" + signature[1..]));
    }
}
