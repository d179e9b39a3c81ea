using Grpc.Core;
using OpenSqt.Contracts;
using W = OpenSqt.Contracts.Wire;
using static OpenSqt.ExchangeConnector.Tests.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>Every RPC of the v1 ExchangeService through a real gRPC channel: a success case and its bad input.</summary>
public sealed class ExchangeServiceRpcTests(ConnectorFixture fixture) : IClassFixture<ConnectorFixture>
{
    private W.ExchangeService.ExchangeServiceClient Client => fixture.Client;

    [Fact]
    public async Task GetNameAndGetTypeDescribeTheVenue()
    {
        Assert.Equal("sim", (await Client.GetNameAsync(new W.GetNameRequest())).Name);
        var type = await Client.GetTypeAsync(new W.GetTypeRequest());
        Assert.Equal(W.ExchangeType.Futures, type.Type);
        Assert.False(type.IsUnifiedMargin);
    }

    [Fact]
    public async Task PlaceOrderReturnsTheWorkingOrderWithBothOrderIds()
    {
        var order = await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "rpcPlace1"));
        Assert.Equal(W.OrderStatus.New, order.Status);
        Assert.Equal("rpcPlace1", order.ClientOrderId);
        Assert.True(order.OrderId > 0);
        Assert.Equal(order.OrderId.ToString(System.Globalization.CultureInfo.InvariantCulture), order.ExchangeOrderId);
        Assert.Equal("94000", order.Price.Value);
        Assert.Equal("0.002", order.Quantity.Value);
        Assert.Equal(W.TimeInForce.Gtc, order.TimeInForce);
        Assert.NotNull(order.CreatedAt);

        var open = await Client.GetOpenOrdersAsync(new W.GetOpenOrdersRequest { Symbol = "BTCUSDT" });
        Assert.Contains(open.Orders, o => o.ClientOrderId == "rpcPlace1");
        var byClient = await Client.GetOrderAsync(new W.GetOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "rpcPlace1" });
        Assert.Equal(order.OrderId, byClient.OrderId);
        var byId = await Client.GetOrderAsync(new W.GetOrderRequest { Symbol = "BTCUSDT", OrderId = order.OrderId });
        Assert.Equal("rpcPlace1", byId.ClientOrderId);
    }

    [Fact]
    public async Task BatchPlaceReportsEachRefusedItemWithItsKind()
    {
        var request = new W.BatchPlaceOrdersRequest();
        request.Orders.Add(Limit(W.OrderSide.Buy, "93000", "0.002", "rpcBatchOk"));
        request.Orders.Add(Limit(W.OrderSide.Buy, "96000", "0.002", "rpcBatchPost") );
        request.Orders[1].PostOnly = true;
        var response = await Client.BatchPlaceOrdersAsync(request);
        Assert.False(response.AllSuccess);
        Assert.Equal("rpcBatchOk", Assert.Single(response.Orders).ClientOrderId);
        var error = Assert.Single(response.Errors);
        Assert.Equal(1, error.Index);
        Assert.Equal("rpcBatchPost", error.ClientOrderId);
        Assert.Equal(nameof(ExchangeErrorKind.PostOnlyRejected), error.ErrorKind);
        Assert.Equal((int)StatusCode.FailedPrecondition, error.Code);
    }

    [Fact]
    public async Task CancelByV1IdByTextIdAndByClientIdAllWork()
    {
        var a = await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "92000", "0.002", "rpcCancelA"));
        var b = await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "92001", "0.002", "rpcCancelB"));
        await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "92002", "0.002", "rpcCancelC"));

        await Client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", OrderId = a.OrderId });
        await Client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", ExchangeOrderId = b.ExchangeOrderId });
        await Client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "rpcCancelC" });

        foreach (var id in new[] { "rpcCancelA", "rpcCancelB", "rpcCancelC" })
        {
            var order = await Client.GetOrderAsync(new W.GetOrderRequest { Symbol = "BTCUSDT", ClientOrderId = id });
            Assert.Equal(W.OrderStatus.Canceled, order.Status);
        }
    }

    [Fact]
    public async Task BatchCancelAndCancelAllEndWorkingOrders()
    {
        var a = await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "3000", "0.01", "rpcBcA", "ETHUSDT"));
        var b = await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "3001", "0.01", "rpcBcB", "ETHUSDT"));
        var request = new W.BatchCancelOrdersRequest { Symbol = "ETHUSDT" };
        request.OrderIds.Add(a.OrderId);
        request.ExchangeOrderIds.Add(b.ExchangeOrderId);
        request.ExchangeOrderIds.Add("999");
        var response = await Client.BatchCancelOrdersAsync(request);
        var error = Assert.Single(response.Errors);
        Assert.Equal("999", error.ExchangeOrderId);
        Assert.Equal((int)StatusCode.NotFound, error.Code);

        await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "3002", "0.01", "rpcBcC", "ETHUSDT"));
        await Client.CancelAllOrdersAsync(new W.CancelAllOrdersRequest { Symbol = "ETHUSDT" });
        Assert.Empty((await Client.GetOpenOrdersAsync(new W.GetOpenOrdersRequest { Symbol = "ETHUSDT" })).Orders);
    }

    [Fact]
    public async Task AccountPositionsAndBalanceFollowAFill()
    {
        fixture.Host.Sim.Trade("SOLUSDT", 180m, 0m);
        await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "179.5", "1", "rpcSolBuy", "SOLUSDT"));
        fixture.Host.Sim.Trade("SOLUSDT", 179.5m, 10m);

        var positions = await Client.GetPositionsAsync(new W.GetPositionsRequest { Symbol = "SOLUSDT" });
        var position = Assert.Single(positions.Positions);
        Assert.Equal("1", position.Size.Value);
        Assert.Equal("179.5", position.EntryPrice.Value);
        Assert.Contains((await Client.GetPositionsAsync(new W.GetPositionsRequest())).Positions, p => p.Symbol == "SOLUSDT");

        var account = await Client.GetAccountAsync(new W.GetAccountRequest());
        Assert.Contains(account.Positions, p => p.Symbol == "SOLUSDT");
        var balance = await Client.GetBalanceAsync(new W.GetBalanceRequest { Asset = "USDT" });
        Assert.Equal(account.TotalWalletBalance.Value, balance.Balance.Value);
        Assert.True(WireMapper.ParseDecimal(account.AvailableBalance.Value) < WireMapper.ParseDecimal(account.TotalMarginBalance.Value));
    }

    [Fact]
    public async Task MarketDataRpcsAnswer()
    {
        Assert.Equal("95000", (await Client.GetLatestPriceAsync(new W.GetLatestPriceRequest { Symbol = "BTCUSDT" })).Price.Value);
        var klines = await Client.GetHistoricalKlinesAsync(new W.GetHistoricalKlinesRequest { Symbol = "BTCUSDT", Interval = "1m", Limit = 30 });
        Assert.Equal(30, klines.Candles.Count);
        Assert.All(klines.Candles, c => Assert.Equal("1m", c.Interval));
        Assert.Equal(5, (await Client.GetTickersAsync(new W.GetTickersRequest())).Tickers.Count);
        Assert.True(WireMapper.ParseDecimal((await Client.GetOpenInterestAsync(new W.GetOpenInterestRequest { Symbol = "BTCUSDT" })).OpenInterest.Value) > 0);

        var info = await Client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = "BTCUSDT" });
        Assert.Equal(("0.1", "0.001", "0.001", "100", 1, 3), (info.TickSize.Value, info.StepSize.Value, info.MinQuantity.Value, info.MinNotional.Value, info.PricePrecision, info.QuantityPrecision));
        Assert.Equal(5, (await Client.FetchExchangeInfoAsync(new W.FetchExchangeInfoRequest())).Symbols.Count);
        Assert.Single((await Client.FetchExchangeInfoAsync(new W.FetchExchangeInfoRequest { Symbol = "ETHUSDT" })).Symbols);
        Assert.Equal(["BTCUSDT", "DOGEUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"], (await Client.GetSymbolsAsync(new W.GetSymbolsRequest())).Symbols);

        Assert.Equal("0.0001", (await Client.GetFundingRateAsync(new W.GetFundingRateRequest { Symbol = "BTCUSDT" })).Rate.Value);
        Assert.Equal(5, (await Client.GetFundingRatesAsync(new W.GetFundingRatesRequest())).Rates.Count);
        Assert.Equal(3, (await Client.GetHistoricalFundingRatesAsync(new W.GetHistoricalFundingRatesRequest { Symbol = "BTCUSDT", Limit = 3 })).Rates.Count);
    }

    [Fact]
    public async Task VenueRefusalsMapToTheirStatusCodesAndKinds()
    {
        var post = Limit(W.OrderSide.Buy, "96000", "0.002", "rpcRefusePost");
        post.PostOnly = true;
        var refused = await Fails(() => Client.PlaceOrderAsync(post).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal(nameof(ExchangeErrorKind.PostOnlyRejected), refused.Trailers.GetValue(GrpcErrors.KindTrailer));

        await Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "90000", "0.002", "rpcDup"));
        var duplicate = await Fails(() => Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "90001", "0.002", "rpcDup")).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);

        var margin = await Fails(() => Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "90000", "50", "rpcMargin")).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, margin.StatusCode);
        Assert.Equal(nameof(ExchangeErrorKind.InsufficientMargin), margin.Trailers.GetValue(GrpcErrors.KindTrailer));

        var offTick = await Fails(() => Client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "90000.05", "0.002", "rpcTick")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, offTick.StatusCode);
        Assert.Contains("tick size 0.1", offTick.Status.Detail);

        var unknownOrder = await Fails(() => Client.GetOrderAsync(new W.GetOrderRequest { Symbol = "BTCUSDT", OrderId = 12345 }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownOrder.StatusCode);
    }

    public static TheoryData<string> BadRequests => new(BadInput.Cases.Keys);

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task MalformedRequestsAreRefusedNamingTheField(string name)
    {
        var (call, code, field) = BadInput.Cases[name];
        var ex = await Fails(() => call(Client));
        Assert.Equal(code, ex.StatusCode);
        Assert.Contains(field, ex.Status.Detail);
    }
}

internal static class BadInput
{
    private static W.PlaceOrderRequest Good() => Limit(W.OrderSide.Buy, "94000", "0.002", "");

    private static W.PlaceOrderRequest With(Action<W.PlaceOrderRequest> change)
    {
        var request = Good();
        change(request);
        return request;
    }

    public static readonly Dictionary<string, (Func<W.ExchangeService.ExchangeServiceClient, Task> Call, StatusCode Code, string Field)> Cases = new()
    {
        ["place: missing symbol"] = (c => c.PlaceOrderAsync(With(r => r.Symbol = "")).ResponseAsync, StatusCode.InvalidArgument, "symbol is required"),
        ["place: unknown symbol"] = (c => c.PlaceOrderAsync(With(r => r.Symbol = "FOOUSDT")).ResponseAsync, StatusCode.NotFound, "FOOUSDT"),
        ["place: lower-case symbol"] = (c => c.PlaceOrderAsync(With(r => r.Symbol = "btcusdt")).ResponseAsync, StatusCode.InvalidArgument, "symbol 'btcusdt'"),
        ["place: unspecified side"] = (c => c.PlaceOrderAsync(With(r => r.Side = W.OrderSide.Unspecified)).ResponseAsync, StatusCode.InvalidArgument, "side"),
        ["place: unspecified type"] = (c => c.PlaceOrderAsync(With(r => r.Type = W.OrderType.Unspecified)).ResponseAsync, StatusCode.InvalidArgument, "type"),
        ["place: unspecified time in force"] = (c => c.PlaceOrderAsync(With(r => r.TimeInForce = W.TimeInForce.Unspecified)).ResponseAsync, StatusCode.InvalidArgument, "time_in_force"),
        ["place: missing quantity"] = (c => c.PlaceOrderAsync(With(r => r.Quantity = null)).ResponseAsync, StatusCode.InvalidArgument, "quantity is required"),
        ["place: malformed quantity"] = (c => c.PlaceOrderAsync(With(r => r.Quantity = D("1,5"))).ResponseAsync, StatusCode.InvalidArgument, "quantity '1,5' is not a decimal"),
        ["place: zero quantity"] = (c => c.PlaceOrderAsync(With(r => r.Quantity = D("0"))).ResponseAsync, StatusCode.InvalidArgument, "quantity 0 must be greater than zero"),
        ["place: negative price"] = (c => c.PlaceOrderAsync(With(r => r.Price = D("-1"))).ResponseAsync, StatusCode.InvalidArgument, "price -1 must be greater than zero"),
        ["place: limit without price"] = (c => c.PlaceOrderAsync(With(r => r.Price = null)).ResponseAsync, StatusCode.InvalidArgument, "price is required"),
        ["place: market with price"] = (c => c.PlaceOrderAsync(With(r => { r.Type = W.OrderType.Market; r.TimeInForce = W.TimeInForce.Unspecified; })).ResponseAsync, StatusCode.InvalidArgument, "price must be empty for a market order"),
        ["place: post-only IOC"] = (c => c.PlaceOrderAsync(With(r => { r.PostOnly = true; r.TimeInForce = W.TimeInForce.Ioc; })).ResponseAsync, StatusCode.InvalidArgument, "post_only"),
        ["place: use_margin on futures"] = (c => c.PlaceOrderAsync(With(r => r.UseMargin = true)).ResponseAsync, StatusCode.InvalidArgument, "use_margin"),
        ["place: bad client id"] = (c => c.PlaceOrderAsync(With(r => r.ClientOrderId = "has space")).ResponseAsync, StatusCode.InvalidArgument, "client_order_id"),
        ["batch place: empty"] = (c => c.BatchPlaceOrdersAsync(new W.BatchPlaceOrdersRequest()).ResponseAsync, StatusCode.InvalidArgument, "orders must hold at least one order"),
        ["batch place: bad item"] = (c => c.BatchPlaceOrdersAsync(new W.BatchPlaceOrdersRequest { Orders = { Good(), With(r => r.Quantity = D("x")) } }).ResponseAsync, StatusCode.InvalidArgument, "orders[1].quantity"),
        ["cancel: no order named"] = (c => c.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT" }).ResponseAsync, StatusCode.InvalidArgument, "order_id, exchange_order_id or client_order_id"),
        ["cancel: negative id"] = (c => c.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", OrderId = -4 }).ResponseAsync, StatusCode.InvalidArgument, "order_id -4"),
        ["cancel: unknown order"] = (c => c.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", OrderId = 77 }).ResponseAsync, StatusCode.NotFound, "77"),
        ["batch cancel: nothing"] = (c => c.BatchCancelOrdersAsync(new W.BatchCancelOrdersRequest { Symbol = "BTCUSDT" }).ResponseAsync, StatusCode.InvalidArgument, "order_ids"),
        ["cancel all: missing symbol"] = (c => c.CancelAllOrdersAsync(new W.CancelAllOrdersRequest()).ResponseAsync, StatusCode.InvalidArgument, "symbol is required"),
        ["get order: no order named"] = (c => c.GetOrderAsync(new W.GetOrderRequest { Symbol = "BTCUSDT" }).ResponseAsync, StatusCode.InvalidArgument, "order_id"),
        ["open orders: unknown symbol"] = (c => c.GetOpenOrdersAsync(new W.GetOpenOrdersRequest { Symbol = "NOPEUSDT" }).ResponseAsync, StatusCode.NotFound, "NOPEUSDT"),
        ["positions: unknown symbol"] = (c => c.GetPositionsAsync(new W.GetPositionsRequest { Symbol = "NOPEUSDT" }).ResponseAsync, StatusCode.NotFound, "NOPEUSDT"),
        ["balance: missing asset"] = (c => c.GetBalanceAsync(new W.GetBalanceRequest()).ResponseAsync, StatusCode.InvalidArgument, "asset is required"),
        ["balance: unknown asset"] = (c => c.GetBalanceAsync(new W.GetBalanceRequest { Asset = "DOGE" }).ResponseAsync, StatusCode.NotFound, "DOGE"),
        ["latest price: missing symbol"] = (c => c.GetLatestPriceAsync(new W.GetLatestPriceRequest()).ResponseAsync, StatusCode.InvalidArgument, "symbol is required"),
        ["open interest: unknown symbol"] = (c => c.GetOpenInterestAsync(new W.GetOpenInterestRequest { Symbol = "NOPEUSDT" }).ResponseAsync, StatusCode.NotFound, "NOPEUSDT"),
        ["klines: bad interval"] = (c => c.GetHistoricalKlinesAsync(new W.GetHistoricalKlinesRequest { Symbol = "BTCUSDT", Interval = "7m", Limit = 10 }).ResponseAsync, StatusCode.InvalidArgument, "interval '7m'"),
        ["klines: zero limit"] = (c => c.GetHistoricalKlinesAsync(new W.GetHistoricalKlinesRequest { Symbol = "BTCUSDT", Interval = "1m" }).ResponseAsync, StatusCode.InvalidArgument, "limit 0"),
        ["exchange info: unknown symbol"] = (c => c.FetchExchangeInfoAsync(new W.FetchExchangeInfoRequest { Symbol = "NOPEUSDT" }).ResponseAsync, StatusCode.NotFound, "NOPEUSDT"),
        ["symbol info: missing symbol"] = (c => c.GetSymbolInfoAsync(new W.GetSymbolInfoRequest()).ResponseAsync, StatusCode.InvalidArgument, "symbol is required"),
        ["funding: unknown symbol"] = (c => c.GetFundingRateAsync(new W.GetFundingRateRequest { Symbol = "NOPEUSDT" }).ResponseAsync, StatusCode.NotFound, "NOPEUSDT"),
        ["funding history: limit"] = (c => c.GetHistoricalFundingRatesAsync(new W.GetHistoricalFundingRatesRequest { Symbol = "BTCUSDT", Limit = 5000 }).ResponseAsync, StatusCode.InvalidArgument, "limit 5000"),
        ["subscribe price: no symbols"] = (c => FirstMessage(c.SubscribePrice(new W.SubscribePriceRequest())), StatusCode.InvalidArgument, "symbols"),
        ["subscribe price: unknown symbol"] = (c => FirstMessage(c.SubscribePrice(new W.SubscribePriceRequest { Symbols = { "NOPEUSDT" } })), StatusCode.NotFound, "NOPEUSDT"),
        ["subscribe klines: bad interval"] = (c => FirstMessage(c.SubscribeKlines(new W.SubscribeKlinesRequest { Symbols = { "BTCUSDT" }, Interval = "2m" })), StatusCode.InvalidArgument, "interval '2m'"),
        ["subscribe positions: unknown symbol"] = (c => FirstMessage(c.SubscribePositions(new W.SubscribePositionsRequest { Symbol = "NOPEUSDT" })), StatusCode.NotFound, "NOPEUSDT"),
        ["subscribe funding: missing symbol"] = (c => FirstMessage(c.SubscribeFundingRate(new W.SubscribeFundingRateRequest())), StatusCode.InvalidArgument, "symbol is required"),
    };

    private static async Task FirstMessage<T>(AsyncServerStreamingCall<T> call)
    {
        using (call)
        {
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }
    }
}
