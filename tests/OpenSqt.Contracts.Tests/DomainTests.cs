using Grpc.Core;
using OpenSqt.Contracts.Remote;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Tests;

public sealed class DomainTests
{
    private static readonly SymbolRules Btc = new()
    {
        Symbol = "BTCUSDT", BaseAsset = "BTC", QuoteAsset = "USDT",
        TickSize = 0.1m, StepSize = 0.001m, MinQuantity = 0.001m, MinNotional = 100m,
    };

    [Theory]
    [InlineData("95000.07", "95000", "95000.1", "95000.1")]
    [InlineData("95000.05", "95000", "95000.1", "95000.1")]
    [InlineData("95000.04", "95000", "95000.1", "95000")]
    public void PricesRoundToTheTick(string price, string down, string up, string nearest)
    {
        var p = decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(decimal.Parse(down, System.Globalization.CultureInfo.InvariantCulture), Btc.RoundPriceDown(p));
        Assert.Equal(decimal.Parse(up, System.Globalization.CultureInfo.InvariantCulture), Btc.RoundPriceUp(p));
        Assert.Equal(decimal.Parse(nearest, System.Globalization.CultureInfo.InvariantCulture), Btc.RoundPrice(p));
    }

    [Fact]
    public void QuantitiesRoundDownToTheStepAndRulesExplainRefusals()
    {
        Assert.Equal(0.031m, Btc.RoundQuantityDown(30m / 950m));
        Assert.Equal((1, 3), (Btc.PricePrecision, Btc.QuantityPrecision));
        Assert.Null(Btc.Check(0.002m, 95_000m));
        Assert.Contains("minimum notional 100", Btc.Check(0.001m, 95_000m));
        Assert.Contains("minimum notional", Btc.Check(0.001m, null, referencePrice: 95_000m));
        Assert.Contains("step size 0.001", Btc.Check(0.0015m, 95_000m));
        Assert.Contains("tick size 0.1", Btc.Check(0.01m, 95_000.01m));
        Assert.Contains("below the minimum quantity", (Btc with { MinQuantity = 0.01m }).Check(0.002m, 95_000m));
    }

    [Fact]
    public void OrderStatusQuestionsAreAnsweredInOnePlace()
    {
        Assert.Equal([OrderStatus.New, OrderStatus.PartiallyFilled], Enum.GetValues<OrderStatus>().Where(s => s.IsOpen()));
        Assert.Equal([OrderStatus.Filled, OrderStatus.Canceled, OrderStatus.Rejected, OrderStatus.Expired], Enum.GetValues<OrderStatus>().Where(s => s.IsTerminal()));
        Assert.Equal((int)W.OrderStatus.Expired, (int)OrderStatus.Expired);
        Assert.Equal((int)W.TimeInForce.Gtx, (int)TimeInForce.Gtx);
    }

    [Fact]
    public void BackoffDoublesFromOneSecondAndStopsAtSixty()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], Enumerable.Range(1, 9).Select(i => backoff.Delay(i).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(60), backoff.Delay(400));
    }

    [Theory]
    [InlineData(ExchangeErrorKind.PostOnlyRejected, StatusCode.FailedPrecondition)]
    [InlineData(ExchangeErrorKind.InsufficientMargin, StatusCode.FailedPrecondition)]
    [InlineData(ExchangeErrorKind.RateLimited, StatusCode.ResourceExhausted)]
    [InlineData(ExchangeErrorKind.Unavailable, StatusCode.Unavailable)]
    [InlineData(ExchangeErrorKind.InvalidArgument, StatusCode.InvalidArgument)]
    [InlineData(ExchangeErrorKind.NotFound, StatusCode.NotFound)]
    [InlineData(ExchangeErrorKind.AlreadyExists, StatusCode.AlreadyExists)]
    [InlineData(ExchangeErrorKind.Unauthenticated, StatusCode.Unauthenticated)]
    [InlineData(ExchangeErrorKind.Internal, StatusCode.Internal)]
    public void ErrorKindsSurviveTheTripThroughGrpcStatus(ExchangeErrorKind kind, StatusCode code)
    {
        var sent = new ExchangeException(kind, "why", retryAfter: TimeSpan.FromMilliseconds(1500)).ToRpcException();
        Assert.Equal(code, sent.StatusCode);
        var received = sent.ToExchangeException("place");
        Assert.Equal(kind, received.Kind);
        Assert.Equal("place: why", received.Message);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), received.RetryAfter);
        Assert.Equal(kind is ExchangeErrorKind.RateLimited or ExchangeErrorKind.Unavailable, received.IsTransient);
    }

    [Fact]
    public void AStatusWithoutTrailerStillMapsByCode()
    {
        var plain = new RpcException(new Status(StatusCode.FailedPrecondition, "refused"));
        Assert.Equal(ExchangeErrorKind.Rejected, plain.ToExchangeException().Kind);
    }

    [Fact]
    public void OrdersSurviveTheWireBothWaysWithDecimalsIntact()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_764_000_000_123);
        var order = new Order
        {
            ExchangeOrderId = "8000000001", ClientOrderId = "g1b95000", Symbol = "BTCUSDT", Side = OrderSide.Sell,
            Type = OrderType.Limit, TimeInForce = TimeInForce.Gtx, Price = 95_000.1m, Quantity = 0.123m, FilledQuantity = 0.023m,
            AveragePrice = 95_000.1m, Status = OrderStatus.PartiallyFilled, ReduceOnly = true, PostOnly = true,
            CreatedAt = now, UpdatedAt = now.AddSeconds(1),
            Fills = [new Fill { TradeId = "7", ExchangeOrderId = "8000000001", ClientOrderId = "g1b95000", Symbol = "BTCUSDT", Side = OrderSide.Sell, Price = 95_000.1m, Quantity = 0.023m, Fee = 0.00043701m, RealizedPnl = -1.25m, IsMaker = true, Timestamp = now }],
        };
        var wire = order.ToWire();
        Assert.Equal(8_000_000_001, wire.OrderId);
        Assert.Equal("95000.1", wire.Price.Value);
        Assert.Equal("0.00043701", wire.Trades[0].Fee.Value);
        Assert.Equal(order with { Fills = [] }, wire.ToDomain() with { Fills = [] });
        Assert.Equal(order.Fills[0], wire.ToDomain().Fills[0]);
    }

    [Fact]
    public void NonNumericVenueIdsTravelInTheTextField()
    {
        var update = new OrderUpdate
        {
            ExchangeOrderId = "abc-123", Symbol = "ETHUSDT", Side = OrderSide.Buy, Type = OrderType.Market,
            Status = OrderStatus.Filled, Quantity = 1m, FilledQuantity = 1m, UpdateTime = DateTimeOffset.UnixEpoch.AddDays(1),
        };
        var wire = update.ToWire();
        Assert.Equal(0, wire.OrderId);
        Assert.Equal("abc-123", wire.ExchangeOrderId);
        Assert.Equal("abc-123", wire.ToDomain().ExchangeOrderId);
        Assert.Equal("77", new W.OrderUpdate { OrderId = 77, Side = W.OrderSide.Buy, Type = W.OrderType.Limit, Status = W.OrderStatus.New }.ToDomain().ExchangeOrderId);
    }

    [Theory]
    [InlineData("1.5", true)]
    [InlineData("-0.001", true)]
    [InlineData("1e-8", true)]
    [InlineData("1,5", false)]
    [InlineData("NaN", false)]
    [InlineData(" 1", false)]
    public void WireDecimalsParseStrictly(string text, bool ok) => Assert.Equal(ok, WireMapper.TryParseDecimal(text, out _));

    [Fact]
    public void AnUnknownVenueStatusNeitherOpensNorEndsAnOrderAndCrossesTheWireAsItself()
    {
        Assert.False(OrderStatus.Unknown.IsOpen());
        Assert.False(OrderStatus.Unknown.IsTerminal());
        Assert.Equal(OrderStatus.New, ((OrderStatus?)OrderStatus.New).Advance(OrderStatus.Unknown, 0m));
        Assert.Equal(OrderStatus.PartiallyFilled, ((OrderStatus?)OrderStatus.PartiallyFilled).Advance(OrderStatus.Unknown, 1m));
        Assert.Null(((OrderStatus?)null).Advance(OrderStatus.Unknown, 0m));
        Assert.Equal(W.OrderStatus.Unknown, OrderStatus.Unknown.ToWire());
        Assert.Equal(OrderStatus.Unknown, W.OrderStatus.Unknown.ToDomain());
    }
}
