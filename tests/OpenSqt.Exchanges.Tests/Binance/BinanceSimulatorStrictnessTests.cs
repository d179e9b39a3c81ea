using System.Text;
using System.Text.Json;
using OpenSqt.VenueSimulators.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>
/// The simulator is as strict as Binance: it checks the published signing vectors byte for byte (query only, and query
/// plus form body), refuses a one-character change, and applies the recvWindow rule to the vector's own timestamp.
/// </summary>
public sealed class BinanceSimulatorStrictnessTests
{
    private static async Task<(int Status, int Code)> SendAsync(HttpClient http, string method, string url, string apiKey, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        request.Headers.TryAddWithoutValidation("X-MBX-APIKEY", apiKey);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, doc.RootElement.GetProperty("code").GetInt32());
    }

    private static async Task<BinanceSimulator> StartAtVectorTimeAsync(JsonElement vector)
    {
        var sim = await BinanceSimulator.StartAsync(apiKey: vector.GetProperty("api_key").GetString()!, apiSecret: vector.GetProperty("secret").GetString()!);

        // The vectors were signed in 2017: put the venue clock 100 ms after their timestamp.
        sim.Clock.Skew = DateTimeOffset.FromUnixTimeMilliseconds(1499827319559 + 100) - DateTimeOffset.UtcNow;
        return sim;
    }

    [Fact]
    public async Task QueryStringVectorPassesTheSignatureCheckAndAOneCharacterChangeFails()
    {
        var v = Vectors.File("signing", "binance_rest_hmac_ascii");
        await using var sim = await StartAtVectorTimeAsync(v);
        using var http = new HttpClient();
        var key = v.GetProperty("api_key").GetString()!;
        var payload = v.GetProperty("payload").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;

        // LTCBTC is not listed on the futures simulator: an accepted signature gets as far as the symbol check.
        var accepted = await SendAsync(http, "POST", $"{sim.RestBaseUrl}/fapi/v1/order?{payload}&signature={signature}", key);
        Assert.Equal((400, -1121), accepted);
        var tampered = await SendAsync(http, "POST", $"{sim.RestBaseUrl}/fapi/v1/order?{payload.Replace("price=0.1", "price=0.2", StringComparison.Ordinal)}&signature={signature}", key);
        Assert.Equal((400, -1022), tampered);
        var wrongKey = await SendAsync(http, "POST", $"{sim.RestBaseUrl}/fapi/v1/order?{payload}&signature={signature}", key + "x");
        Assert.Equal((401, -2015), wrongKey);
    }

    [Fact]
    public async Task QueryPlusBodyVectorIsCheckedOverBothPartsConcatenated()
    {
        var v = Vectors.File("signing", "binance_rest_hmac_query_plus_body");
        await using var sim = await StartAtVectorTimeAsync(v);
        using var http = new HttpClient();
        var key = v.GetProperty("api_key").GetString()!;
        var query = v.GetProperty("query_string").GetString()!;
        var body = v.GetProperty("request_body").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;
        var accepted = await SendAsync(http, "POST", $"{sim.RestBaseUrl}/fapi/v1/order?{query}", key, $"{body}&signature={signature}");
        Assert.Equal((400, -1121), accepted);
        var moved = await SendAsync(http, "POST", $"{sim.RestBaseUrl}/fapi/v1/order?{query}&quantity=1", key, $"{body.Replace("quantity=1&", "", StringComparison.Ordinal)}&signature={signature}");
        Assert.Equal((400, -1022), moved);
    }

    [Fact]
    public async Task TimestampOutsideTheRecvWindowIsRefusedWithMinus1021()
    {
        var v = Vectors.File("signing", "binance_rest_hmac_ascii");
        await using var sim = await StartAtVectorTimeAsync(v);
        sim.Clock.Skew += TimeSpan.FromSeconds(6);
        using var http = new HttpClient();
        var result = await SendAsync(http, "POST", $"{sim.RestBaseUrl}/fapi/v1/order?{v.GetProperty("payload").GetString()}&signature={v.GetProperty("expected_signature").GetString()}", v.GetProperty("api_key").GetString()!);
        Assert.Equal((400, -1021), result);
    }
}
