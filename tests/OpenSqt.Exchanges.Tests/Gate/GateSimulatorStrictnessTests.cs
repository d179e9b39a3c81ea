using System.Globalization;
using System.Net;
using System.Text;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Gate;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>The Gate simulator is as strict as Gate: signatures, timestamps, contract sizes and text ids.</summary>
public sealed class GateSimulatorStrictnessTests
{
    private static HttpRequestMessage Signed(GateSimulator sim, HttpMethod method, string path, string query, string body, string secret, Func<string, string>? tamper = null)
    {
        var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var full = GateSimulator.ApiPrefix + path;
        var message = new HttpRequestMessage(method, sim.RestBaseUrl + full + (query.Length > 0 ? "?" + query : ""));
        if (body.Length > 0)
        {
            message.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var sign = GateSigner.Sign(secret, GateSigner.RestPayload(method.Method, full, query, body, seconds));
        message.Headers.Add("KEY", GateSimulator.DefaultApiKey);
        message.Headers.Add("Timestamp", seconds.ToString(CultureInfo.InvariantCulture));
        message.Headers.Add("SIGN", tamper is null ? sign : tamper(sign));
        return message;
    }

    [Fact]
    public async Task SignedRequestIsAcceptedAndOneChangedCharacterIsRefused()
    {
        var vector = Vectors.File("signing", "gate_rest_get");
        var secret = vector.GetProperty("secret").GetString()!;
        await using var sim = await GateSimulator.StartAsync(apiSecret: secret);
        using var http = new HttpClient();
        using var ok = await http.SendAsync(Signed(sim, HttpMethod.Get, "/futures/usdt/orders", "contract=BTC_USDT&status=open", "", secret));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var bad = await http.SendAsync(Signed(sim, HttpMethod.Get, "/futures/usdt/orders", "contract=BTC_USDT&status=open", "", secret, s => (s[0] == 'a' ? "b" : "a") + s[1..]));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Contains("INVALID_SIGNATURE", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SizeInBaseUnitsInsteadOfContractsIsRefused()
    {
        await using var sim = await GateSimulator.StartAsync();
        using var http = new HttpClient();
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var body = $"{{\"contract\":\"BTC_USDT\",\"size\":0.002,\"price\":\"{(last - 1000m).ToString(CultureInfo.InvariantCulture)}\",\"tif\":\"gtc\"}}";
        using var answer = await http.SendAsync(Signed(sim, HttpMethod.Post, "/futures/usdt/orders", "", body, GateSimulator.DefaultApiSecret));
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("INVALID_PARAM_VALUE", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var badText = $"{{\"contract\":\"BTC_USDT\",\"size\":2,\"price\":\"{(last - 1000m).ToString(CultureInfo.InvariantCulture)}\",\"tif\":\"gtc\",\"text\":\"noprefix\"}}";
        using var textAnswer = await http.SendAsync(Signed(sim, HttpMethod.Post, "/futures/usdt/orders", "", badText, GateSimulator.DefaultApiSecret));
        Assert.Contains("INVALID_PARAM_VALUE", await textAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));
    }

    [Fact]
    public async Task WrongSecretIsUnauthenticatedAndOffTickPriceIsInvalidPrecision()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using (var wrong = GateConformanceTests.CreateGate(sim, secret: "not-the-secret"))
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => wrong.GetOpenOrdersAsync("BTCUSDT"));
            Assert.Equal(ExchangeErrorKind.Unauthenticated, ex.Kind);
            Assert.Equal("INVALID_SIGNATURE", ex.VenueCode);
        }

        await using var gate = GateConformanceTests.CreateGate(sim);
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var offTick = await Assert.ThrowsAsync<ExchangeException>(() => gate.PlaceOrderAsync(new OrderRequest
        {
            Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000.05m, Quantity = 0.002m, ClientOrderId = "tick1",
        }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, offTick.Kind);
        Assert.Equal("INVALID_PRECISION", offTick.VenueCode);
    }
}
