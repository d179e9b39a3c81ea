using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.VenueSimulators.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

public sealed class BitgetSigningTests
{
    [Fact]
    public void EveryBitgetSigningVectorIsCovered()
    {
        Assert.Equal(["bitget_rest_get", "bitget_rest_post_place_order", "bitget_ws_login"], Vectors.Names("signing", "bitget_").Order());
    }

    [Fact]
    public void GetPayloadWithQueryAndSignatureMatchTheDocExample()
    {
        var v = Vectors.File("signing", "bitget_rest_get");
        var payload = BitgetSigner.RestPayload(16273667805456, "GET", "/api/mix/v2/market/depth", "symbol=BTCUSDT&limit=20", null);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), BitgetSigner.Sign(v.GetProperty("secret").GetString()!, payload));
    }

    [Fact]
    public void PlaceOrderBodyIsExactlyTheSignedBodyOfTheVector()
    {
        var v = Vectors.File("signing", "bitget_rest_post_place_order");
        var body = BitgetParsers.PlaceOrderBody(new OrderRequest
        {
            Symbol = "BTCUSDT",
            Side = OrderSide.Buy,
            Type = OrderType.Limit,
            TimeInForce = TimeInForce.Gtx,
            Quantity = 0.01m,
            Price = 60000m,
            ClientOrderId = "mm-0001",
        });
        Assert.Equal(v.GetProperty("body").GetString(), body);
        var payload = BitgetSigner.RestPayload(1700000000000, "POST", "/api/v2/mix/order/place-order", "", body);
        Assert.Equal(v.GetProperty("payload").GetString(), payload);
        Assert.Equal(v.GetProperty("expected_signature").GetString(), BitgetSigner.Sign(v.GetProperty("secret").GetString()!, payload));
    }

    [Fact]
    public void WsLoginRequestMatchesTheVector()
    {
        var v = Vectors.File("signing", "bitget_ws_login");
        var secret = v.GetProperty("secret").GetString()!;
        Assert.Equal(v.GetProperty("payload").GetString(), BitgetSigner.LoginPayload(1700000000));
        var sent = System.Text.Json.Nodes.JsonNode.Parse(BitgetUserStream.LoginRequest("<key>", secret, "<passphrase>", 1700000000));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(v.GetProperty("message").GetRawText()), sent), sent!.ToJsonString());
    }

    [Fact]
    public void VerifyRefusesOneChangedCharacter()
    {
        var v = Vectors.File("signing", "bitget_rest_post_place_order");
        var secret = v.GetProperty("secret").GetString()!;
        var payload = v.GetProperty("payload").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;
        Assert.True(BitgetSimulator.SignatureMatches(secret, payload, signature));
        Assert.False(BitgetSimulator.SignatureMatches(secret, payload, (signature[0] == 'A' ? "B" : "A") + signature[1..]));
        Assert.False(BitgetSimulator.SignatureMatches(secret, payload.Replace("60000", "60001", StringComparison.Ordinal), signature));
    }
}
