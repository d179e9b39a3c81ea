using System.Globalization;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts;

/// <summary>
/// The one mapping between domain types and the generated v1 wire types, both directions.
/// Decimals travel as <c>google.type.Decimal</c> strings in invariant culture; nothing passes through double.
/// </summary>
public static class WireMapper
{
    public static Google.Type.Decimal ToWire(this decimal value) =>
        new() { Value = value.Normalize().ToString(CultureInfo.InvariantCulture) };

    /// <summary>Parses a wire decimal; an absent or empty value reads as zero.</summary>
    public static decimal ToDecimal(this Google.Type.Decimal? value) =>
        value is null || string.IsNullOrEmpty(value.Value) ? 0m : ParseDecimal(value.Value);

    /// <summary>Parses a decimal string as google.type.Decimal writes it (sign, digits, point, optional exponent).</summary>
    public static decimal ParseDecimal(string text) =>
        TryParseDecimal(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a decimal number");

    public static bool TryParseDecimal(string? text, out decimal value) =>
        decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value);

    public static long ToUnixMs(this DateTimeOffset time) => time == default ? 0 : time.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => ms == 0 ? default : DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static Timestamp? ToTimestamp(DateTimeOffset time) => time == default ? null : Timestamp.FromDateTimeOffset(time);

    private static DateTimeOffset FromTimestamp(Timestamp? time) => time is null ? default : time.ToDateTimeOffset();

    /// <summary>The v1 int64 order id: the venue id when it is numeric, else 0 (then exchange_order_id carries it).</summary>
    public static long NumericOrderId(string? exchangeOrderId) =>
        long.TryParse(exchangeOrderId, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0;

    private static string OrderIdText(long orderId, string exchangeOrderId) =>
        !string.IsNullOrEmpty(exchangeOrderId) ? exchangeOrderId
        : orderId != 0 ? orderId.ToString(CultureInfo.InvariantCulture)
        : "";

    public static W.OrderSide ToWire(this OrderSide side) => (W.OrderSide)(int)side;

    public static W.OrderType ToWire(this OrderType type) => (W.OrderType)(int)type;

    public static W.OrderStatus ToWire(this OrderStatus status) => (W.OrderStatus)(int)status;

    public static W.TimeInForce ToWire(this TimeInForce tif) => (W.TimeInForce)(int)tif;

    public static OrderSide ToDomain(this W.OrderSide side) => side switch
    {
        W.OrderSide.Buy => OrderSide.Buy,
        W.OrderSide.Sell => OrderSide.Sell,
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "side must be ORDER_SIDE_BUY or ORDER_SIDE_SELL"),
    };

    public static OrderType ToDomain(this W.OrderType type) => type switch
    {
        W.OrderType.Limit => OrderType.Limit,
        W.OrderType.Market => OrderType.Market,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "type must be ORDER_TYPE_LIMIT or ORDER_TYPE_MARKET"),
    };

    public static OrderStatus ToDomain(this W.OrderStatus status) => status switch
    {
        W.OrderStatus.New => OrderStatus.New,
        W.OrderStatus.PartiallyFilled => OrderStatus.PartiallyFilled,
        W.OrderStatus.Filled => OrderStatus.Filled,
        W.OrderStatus.Canceled => OrderStatus.Canceled,
        W.OrderStatus.Rejected => OrderStatus.Rejected,
        W.OrderStatus.Expired => OrderStatus.Expired,
        W.OrderStatus.Unknown => OrderStatus.Unknown,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "unspecified order status"),
    };

    /// <summary>Time in force; unspecified on the wire means GTC (v1 clients often leave it out).</summary>
    public static TimeInForce ToDomain(this W.TimeInForce tif) => tif switch
    {
        W.TimeInForce.Unspecified or W.TimeInForce.Gtc => TimeInForce.Gtc,
        W.TimeInForce.Ioc => TimeInForce.Ioc,
        W.TimeInForce.Fok => TimeInForce.Fok,
        W.TimeInForce.Gtx => TimeInForce.Gtx,
        _ => throw new ArgumentOutOfRangeException(nameof(tif), tif, "unknown time in force"),
    };

    public static W.PlaceOrderRequest ToWire(this OrderRequest request)
    {
        var wire = new W.PlaceOrderRequest
        {
            Symbol = request.Symbol,
            Side = request.Side.ToWire(),
            Type = request.Type.ToWire(),
            TimeInForce = request.TimeInForce.ToWire(),
            Quantity = request.Quantity.ToWire(),
            ReduceOnly = request.ReduceOnly,
            PostOnly = request.PostOnly,
            ClientOrderId = request.ClientOrderId ?? "",
        };
        if (request.Price is { } price)
        {
            wire.Price = price.ToWire();
        }

        return wire;
    }

    public static W.Trade ToWire(this Fill fill) => new()
    {
        TradeId = fill.TradeId,
        OrderId = NumericOrderId(fill.ExchangeOrderId),
        ExchangeOrderId = fill.ExchangeOrderId,
        ClientOrderId = fill.ClientOrderId ?? "",
        Symbol = fill.Symbol,
        Side = fill.Side.ToWire(),
        Price = fill.Price.ToWire(),
        Quantity = fill.Quantity.ToWire(),
        Fee = fill.Fee.ToWire(),
        FeeAsset = fill.FeeAsset,
        Timestamp = ToTimestamp(fill.Timestamp),
        RealizedPnl = fill.RealizedPnl.ToWire(),
        IsMaker = fill.IsMaker,
    };

    public static Fill ToDomain(this W.Trade trade) => new()
    {
        TradeId = trade.TradeId,
        ExchangeOrderId = OrderIdText(trade.OrderId, trade.ExchangeOrderId),
        ClientOrderId = NullIfEmpty(trade.ClientOrderId),
        Symbol = trade.Symbol,
        Side = trade.Side.ToDomain(),
        Price = trade.Price.ToDecimal(),
        Quantity = trade.Quantity.ToDecimal(),
        Fee = trade.Fee.ToDecimal(),
        FeeAsset = trade.FeeAsset,
        Timestamp = FromTimestamp(trade.Timestamp),
        RealizedPnl = trade.RealizedPnl.ToDecimal(),
        IsMaker = trade.IsMaker,
    };

    public static W.Order ToWire(this Order order)
    {
        var wire = new W.Order
        {
            OrderId = NumericOrderId(order.ExchangeOrderId),
            ExchangeOrderId = order.ExchangeOrderId,
            ClientOrderId = order.ClientOrderId ?? "",
            Symbol = order.Symbol,
            Side = order.Side.ToWire(),
            Type = order.Type.ToWire(),
            Price = order.Price.ToWire(),
            Quantity = order.Quantity.ToWire(),
            ExecutedQty = order.FilledQuantity.ToWire(),
            AvgPrice = order.AveragePrice.ToWire(),
            Status = order.Status.ToWire(),
            CreatedAt = ToTimestamp(order.CreatedAt),
            UpdateTime = order.UpdatedAt.ToUnixMs(),
            TimeInForce = order.TimeInForce.ToWire(),
            ReduceOnly = order.ReduceOnly,
            PostOnly = order.PostOnly,
            RejectReason = order.RejectReason ?? "",
        };
        foreach (var fill in order.Fills)
        {
            wire.Trades.Add(fill.ToWire());
        }

        return wire;
    }

    public static Order ToDomain(this W.Order order) => new()
    {
        ExchangeOrderId = OrderIdText(order.OrderId, order.ExchangeOrderId),
        ClientOrderId = NullIfEmpty(order.ClientOrderId),
        Symbol = order.Symbol,
        Side = order.Side.ToDomain(),
        Type = order.Type.ToDomain(),
        TimeInForce = order.TimeInForce.ToDomain(),
        Price = order.Price.ToDecimal(),
        Quantity = order.Quantity.ToDecimal(),
        FilledQuantity = order.ExecutedQty.ToDecimal(),
        AveragePrice = order.AvgPrice.ToDecimal(),
        Status = order.Status.ToDomain(),
        ReduceOnly = order.ReduceOnly,
        PostOnly = order.PostOnly,
        CreatedAt = FromTimestamp(order.CreatedAt),
        UpdatedAt = FromUnixMs(order.UpdateTime),
        RejectReason = NullIfEmpty(order.RejectReason),
        Fills = order.Trades.Select(t => t.ToDomain()).ToArray(),
    };

    public static W.OrderUpdate ToWire(this OrderUpdate update) => new()
    {
        Exchange = update.Exchange,
        OrderId = NumericOrderId(update.ExchangeOrderId),
        ExchangeOrderId = update.ExchangeOrderId,
        ClientOrderId = update.ClientOrderId ?? "",
        Symbol = update.Symbol,
        Side = update.Side.ToWire(),
        Type = update.Type.ToWire(),
        Status = update.Status.ToWire(),
        Price = update.Price.ToWire(),
        Quantity = update.Quantity.ToWire(),
        ExecutedQty = update.FilledQuantity.ToWire(),
        AvgPrice = update.AveragePrice.ToWire(),
        UpdateTime = update.UpdateTime.ToUnixMs(),
        LastTrade = update.LastFill?.ToWire(),
        TimeInForce = update.TimeInForce.ToWire(),
        ReduceOnly = update.ReduceOnly,
        PostOnly = update.PostOnly,
        RejectReason = update.RejectReason ?? "",
    };

    public static OrderUpdate ToDomain(this W.OrderUpdate update) => new()
    {
        Exchange = update.Exchange,
        ExchangeOrderId = OrderIdText(update.OrderId, update.ExchangeOrderId),
        ClientOrderId = NullIfEmpty(update.ClientOrderId),
        Symbol = update.Symbol,
        Side = update.Side.ToDomain(),
        Type = update.Type.ToDomain(),
        TimeInForce = update.TimeInForce.ToDomain(),
        Status = update.Status.ToDomain(),
        Price = update.Price.ToDecimal(),
        Quantity = update.Quantity.ToDecimal(),
        FilledQuantity = update.ExecutedQty.ToDecimal(),
        AveragePrice = update.AvgPrice.ToDecimal(),
        ReduceOnly = update.ReduceOnly,
        PostOnly = update.PostOnly,
        UpdateTime = FromUnixMs(update.UpdateTime),
        LastFill = update.LastTrade?.ToDomain(),
        RejectReason = NullIfEmpty(update.RejectReason),
    };

    public static W.PriceChange ToWire(this PriceChange change) => new()
    {
        Exchange = change.Exchange,
        Symbol = change.Symbol,
        Price = change.Price.ToWire(),
        Timestamp = ToTimestamp(change.Timestamp),
    };

    public static PriceChange ToDomain(this W.PriceChange change) =>
        new(change.Symbol, change.Price.ToDecimal(), FromTimestamp(change.Timestamp), change.Exchange);

    public static W.Candle ToWire(this Candle candle) => new()
    {
        Symbol = candle.Symbol,
        Interval = candle.Interval,
        Open = candle.Open.ToWire(),
        High = candle.High.ToWire(),
        Low = candle.Low.ToWire(),
        Close = candle.Close.ToWire(),
        Volume = candle.Volume.ToWire(),
        QuoteVolume = candle.QuoteVolume.ToWire(),
        Timestamp = candle.OpenTime.ToUnixMs(),
        IsClosed = candle.IsClosed,
    };

    public static Candle ToDomain(this W.Candle candle) => new()
    {
        Symbol = candle.Symbol,
        Interval = candle.Interval,
        OpenTime = DateTimeOffset.FromUnixTimeMilliseconds(candle.Timestamp),
        Open = candle.Open.ToDecimal(),
        High = candle.High.ToDecimal(),
        Low = candle.Low.ToDecimal(),
        Close = candle.Close.ToDecimal(),
        Volume = candle.Volume.ToDecimal(),
        QuoteVolume = candle.QuoteVolume.ToDecimal(),
        IsClosed = candle.IsClosed,
    };

    public static W.Position ToWire(this Position position) => new()
    {
        Symbol = position.Symbol,
        Size = position.Size.ToWire(),
        EntryPrice = position.EntryPrice.ToWire(),
        MarkPrice = position.MarkPrice.ToWire(),
        UnrealizedPnl = position.UnrealizedPnl.ToWire(),
        RealizedPnl = position.RealizedPnl.ToWire(),
        Leverage = position.Leverage,
        MarginType = position.MarginType,
        LiquidationPrice = position.LiquidationPrice.ToWire(),
        UpdateTime = position.UpdateTime.ToUnixMs(),
    };

    public static Position ToDomain(this W.Position position) => new()
    {
        Symbol = position.Symbol,
        Size = position.Size.ToDecimal(),
        EntryPrice = position.EntryPrice.ToDecimal(),
        MarkPrice = position.MarkPrice.ToDecimal(),
        UnrealizedPnl = position.UnrealizedPnl.ToDecimal(),
        RealizedPnl = position.RealizedPnl.ToDecimal(),
        Leverage = position.Leverage,
        MarginType = position.MarginType,
        LiquidationPrice = position.LiquidationPrice.ToDecimal(),
        UpdateTime = FromUnixMs(position.UpdateTime),
    };

    public static W.Account ToWire(this Account account)
    {
        var wire = new W.Account
        {
            TotalWalletBalance = account.WalletBalance.ToWire(),
            TotalMarginBalance = account.MarginBalance.ToWire(),
            AvailableBalance = account.AvailableBalance.ToWire(),
            TotalUnrealizedPnl = account.UnrealizedPnl.ToWire(),
            TotalMaintenanceMargin = account.MaintenanceMargin.ToWire(),
            AccountLeverage = account.Leverage,
            IsUnified = account.IsUnified,
            MarginMode = account.IsUnified ? W.MarginMode.Unified : W.MarginMode.Regular,
            UpdateTime = account.UpdateTime.ToUnixMs(),
        };
        foreach (var position in account.Positions)
        {
            wire.Positions.Add(position.ToWire());
        }

        foreach (var fee in account.FundingFees)
        {
            wire.FundingFees.Add(fee.ToWire());
        }

        return wire;
    }

    public static W.FundingFee ToWire(this FundingFee fee) => new()
    {
        Symbol = fee.Symbol,
        Amount = fee.Amount.ToWire(),
        Asset = fee.Asset,
        Rate = fee.Rate.ToWire(),
        PositionSize = fee.PositionSize.ToWire(),
        MarkPrice = fee.MarkPrice.ToWire(),
        FundingTime = fee.FundingTime.ToUnixMs(),
    };

    public static FundingFee ToDomain(this W.FundingFee fee) => new()
    {
        Symbol = fee.Symbol,
        Amount = fee.Amount.ToDecimal(),
        Asset = fee.Asset,
        Rate = fee.Rate.ToDecimal(),
        PositionSize = fee.PositionSize.ToDecimal(),
        MarkPrice = fee.MarkPrice.ToDecimal(),
        FundingTime = FromUnixMs(fee.FundingTime),
    };

    public static Account ToDomain(this W.Account account) => new()
    {
        WalletBalance = account.TotalWalletBalance.ToDecimal(),
        MarginBalance = account.TotalMarginBalance.ToDecimal(),
        AvailableBalance = account.AvailableBalance.ToDecimal(),
        UnrealizedPnl = account.TotalUnrealizedPnl.ToDecimal(),
        MaintenanceMargin = account.TotalMaintenanceMargin.ToDecimal(),
        Leverage = account.AccountLeverage,
        IsUnified = account.IsUnified,
        Positions = account.Positions.Select(p => p.ToDomain()).ToArray(),
        UpdateTime = FromUnixMs(account.UpdateTime),
        FundingFees = account.FundingFees.Select(f => f.ToDomain()).ToArray(),
    };

    public static W.SymbolInfo ToWire(this SymbolRules rules)
    {
        var wire = new W.SymbolInfo
        {
            Symbol = rules.Symbol,
            PricePrecision = rules.PricePrecision,
            QuantityPrecision = rules.QuantityPrecision,
            BaseAsset = rules.BaseAsset,
            QuoteAsset = rules.QuoteAsset,
            MinQuantity = rules.MinQuantity.ToWire(),
            MinNotional = rules.MinNotional.ToWire(),
            TickSize = rules.TickSize.ToWire(),
            StepSize = rules.StepSize.ToWire(),
            ContractSize = rules.ContractSize.ToWire(),
        };
        if (rules.MaxQuantity is { } max)
        {
            wire.MaxQuantity = max.ToWire();
        }

        return wire;
    }

    public static SymbolRules ToDomain(this W.SymbolInfo info) => new()
    {
        Symbol = info.Symbol,
        BaseAsset = info.BaseAsset,
        QuoteAsset = info.QuoteAsset,
        TickSize = info.TickSize.ToDecimal(),
        StepSize = info.StepSize.ToDecimal(),
        MinQuantity = info.MinQuantity.ToDecimal(),
        MinNotional = info.MinNotional.ToDecimal(),
        MaxQuantity = info.MaxQuantity is null || string.IsNullOrEmpty(info.MaxQuantity.Value) ? null : info.MaxQuantity.ToDecimal(),
        ContractSize = info.ContractSize is null || string.IsNullOrEmpty(info.ContractSize.Value) ? 1m : info.ContractSize.ToDecimal(),
    };

    public static W.FundingRate ToWire(this FundingRate rate) => new()
    {
        Exchange = rate.Exchange,
        Symbol = rate.Symbol,
        Rate = rate.Rate.ToWire(),
        PredictedRate = rate.PredictedRate.ToWire(),
        NextFundingTime = rate.NextFundingTime.ToUnixMs(),
        Timestamp = rate.Timestamp.ToUnixMs(),
        MarkPrice = rate.MarkPrice.ToWire(),
    };

    public static W.FundingUpdate ToWireUpdate(this FundingRate rate) => new()
    {
        Exchange = rate.Exchange,
        Symbol = rate.Symbol,
        Rate = rate.Rate.ToWire(),
        PredictedRate = rate.PredictedRate.ToWire(),
        NextFundingTime = rate.NextFundingTime.ToUnixMs(),
        Timestamp = rate.Timestamp.ToUnixMs(),
        MarkPrice = rate.MarkPrice.ToWire(),
    };

    public static FundingRate ToDomain(this W.FundingRate rate) => new()
    {
        Exchange = rate.Exchange,
        Symbol = rate.Symbol,
        Rate = rate.Rate.ToDecimal(),
        PredictedRate = rate.PredictedRate.ToDecimal(),
        NextFundingTime = FromUnixMs(rate.NextFundingTime),
        Timestamp = FromUnixMs(rate.Timestamp),
        MarkPrice = rate.MarkPrice.ToDecimal(),
    };

    public static FundingRate ToDomain(this W.FundingUpdate rate) => new()
    {
        Exchange = rate.Exchange,
        Symbol = rate.Symbol,
        Rate = rate.Rate.ToDecimal(),
        PredictedRate = rate.PredictedRate.ToDecimal(),
        NextFundingTime = FromUnixMs(rate.NextFundingTime),
        Timestamp = FromUnixMs(rate.Timestamp),
        MarkPrice = rate.MarkPrice.ToDecimal(),
    };

    public static W.Ticker ToWire(this Ticker ticker) => new()
    {
        Symbol = ticker.Symbol,
        PriceChange = ticker.PriceChange.ToWire(),
        PriceChangePercent = ticker.PriceChangePercent.ToWire(),
        LastPrice = ticker.LastPrice.ToWire(),
        Volume = ticker.Volume.ToWire(),
        QuoteVolume = ticker.QuoteVolume.ToWire(),
        OpenInterest = ticker.OpenInterest.ToWire(),
        Timestamp = ticker.Timestamp.ToUnixMs(),
    };

    public static Ticker ToDomain(this W.Ticker ticker) => new()
    {
        Symbol = ticker.Symbol,
        PriceChange = ticker.PriceChange.ToDecimal(),
        PriceChangePercent = ticker.PriceChangePercent.ToDecimal(),
        LastPrice = ticker.LastPrice.ToDecimal(),
        Volume = ticker.Volume.ToDecimal(),
        QuoteVolume = ticker.QuoteVolume.ToDecimal(),
        OpenInterest = ticker.OpenInterest.ToDecimal(),
        Timestamp = FromUnixMs(ticker.Timestamp),
    };

    public static BatchItemError ToDomain(this W.BatchOrderError error) => new(
        error.Index,
        Enum.TryParse<ExchangeErrorKind>(error.ErrorKind, out var kind) ? kind : GrpcErrors.FromStatusCode((Grpc.Core.StatusCode)error.Code),
        error.ErrorMessage,
        NullIfEmpty(error.ClientOrderId),
        NullIfEmpty(error.ExchangeOrderId));

    public static W.BatchOrderError ToWire(this BatchItemError error) => new()
    {
        Index = error.Index,
        ClientOrderId = error.ClientOrderId ?? "",
        ExchangeOrderId = error.ExchangeOrderId ?? "",
        ErrorMessage = error.Message,
        Code = (int)error.Kind.ToStatusCode(),
        ErrorKind = error.Kind.ToString(),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
