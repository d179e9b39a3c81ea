using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 linear payloads into OpenSqt domain values. Numbers are read leniently (string or number) into decimal;
/// empty strings count as absent. A derivatives <c>Cancelled</c> order may carry executed quantity: it stays Canceled
/// with that filled quantity. <c>PostOnly</c> is OpenSqt's GTX.
/// </summary>
internal static class BybitParsers
{
    public const string Venue = "bybit";
    public const string Category = "linear";

    public static OrderSide ParseSide(string? side) => side switch
    {
        "Buy" => OrderSide.Buy,
        "Sell" => OrderSide.Sell,
        _ => throw new BybitUnknownValueException("side", side),
    };

    public static string FormatSide(OrderSide side) => side == OrderSide.Buy ? "Buy" : "Sell";

    public static OrderType ParseType(string? type) => type switch
    {
        "Limit" => OrderType.Limit,
        "Market" => OrderType.Market,
        _ => throw new BybitUnknownValueException("orderType", type),
    };

    public static TimeInForce ParseTimeInForce(string? tif) => TryParseTimeInForce(tif) ?? throw new BybitUnknownValueException("timeInForce", tif);

    /// <summary>A timeInForce (GTC, IOC, FOK, PostOnly, RPI; https://bybit-exchange.github.io/docs/v5/enum#timeinforce), or null for one Bybit adds later.</summary>
    public static TimeInForce? TryParseTimeInForce(string? tif) => tif switch
    {
        "GTC" or "RPI" or null or "" => TimeInForce.Gtc,
        "IOC" => TimeInForce.Ioc,
        "FOK" => TimeInForce.Fok,
        "PostOnly" => TimeInForce.Gtx,
        _ => null,
    };

    public static string FormatTimeInForce(TimeInForce tif) => tif switch
    {
        TimeInForce.Ioc => "IOC",
        TimeInForce.Fok => "FOK",
        TimeInForce.Gtx => "PostOnly",
        _ => "GTC",
    };

    public static OrderStatus ParseStatus(string? status) => status switch
    {
        "New" or "Untriggered" or "Triggered" or "Created" => OrderStatus.New,
        "PartiallyFilled" => OrderStatus.PartiallyFilled,
        "Filled" => OrderStatus.Filled,
        "Cancelled" or "PartiallyFilledCanceled" or "Deactivated" => OrderStatus.Canceled,
        "Rejected" => OrderStatus.Rejected,
        _ => throw new BybitUnknownValueException("orderStatus", status),
    };

    /// <summary>A status, or <see cref="OrderStatus.Unknown"/> for one Bybit adds later (a single read answers the order with it).</summary>
    private static OrderStatus StatusOrUnknown(string? status)
    {
        try
        {
            return ParseStatus(status);
        }
        catch (BybitUnknownValueException)
        {
            return OrderStatus.Unknown;
        }
    }

    /// <summary>Bybit interval names: minutes as numbers, then D, W, M.</summary>
    private static readonly VenueIntervals Intervals = new(Venue,
        ("1m", "1"), ("3m", "3"), ("5m", "5"), ("15m", "15"), ("30m", "30"), ("1h", "60"), ("2h", "120"), ("4h", "240"), ("6h", "360"), ("12h", "720"), ("1d", "D"));

    public static string FormatInterval(string interval) => Intervals.ToVenue(interval);

    public static string ParseInterval(string bybitInterval) => Intervals.FromVenue(bybitInterval);

    /// <summary>The <c>result</c> of an envelope.</summary>
    public static JsonElement Result(JsonElement envelope) =>
        envelope.TryGetProperty("result", out var result) ? result : throw new ExchangeException(ExchangeErrorKind.Internal, "bybit answer without 'result'");

    /// <summary>The <c>result.list</c> of an envelope.</summary>
    public static JsonElement.ArrayEnumerator List(JsonElement envelope) =>
        Result(envelope).TryGetProperty("list", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray()
            : throw new ExchangeException(ExchangeErrorKind.Internal, "bybit answer without 'result.list'");

    public static long ParseServerTime(JsonElement envelope)
    {
        var result = Result(envelope);
        if (result.TryGetProperty("timeNano", out _))
        {
            return (long)(result.GetDecimal("timeNano") / 1_000_000m);
        }

        return envelope.GetInt64("time");
    }

    /// <summary>The create/cancel acknowledgement: only the ids.</summary>
    public static (string OrderId, string? OrderLinkId) ParseAck(JsonElement envelope)
    {
        var result = Result(envelope);
        return (result.GetRequiredString("orderId"), Empty(result.GetStringOrNull("orderLinkId")));
    }

    /// <summary>
    /// One order of /v5/order/realtime or /v5/order/history (the same fields as the private <c>order</c> topic). An
    /// orderType or timeInForce Bybit adds later (its enum lists grow: RPI was added to timeInForce,
    /// https://bybit-exchange.github.io/docs/v5/enum) throws <see cref="BybitUnknownValueException"/> carrying the order
    /// read with them mapped (<see cref="BybitUnknownValueException.Mapped"/>).
    /// </summary>
    public static Order ParseOrder(JsonElement item)
    {
        try
        {
            return ParseOrder(item, lenient: false);
        }
        catch (BybitUnknownValueException ex) when (ex.Field is "orderType" or "timeInForce" or "orderStatus")
        {
            throw new BybitUnknownValueException(ex.Field, ex.Value) { Mapped = ParseOrder(item, lenient: true) };
        }
    }

    private static Order ParseOrder(JsonElement item, bool lenient)
    {
        var tif = item.GetStringOrNull("timeInForce");
        var price = Num(item, "price");
        return new Order
        {
            ExchangeOrderId = item.GetRequiredString("orderId"),
            ClientOrderId = Empty(item.GetStringOrNull("orderLinkId")),
            Symbol = item.GetRequiredString("symbol"),
            Side = ParseSide(item.GetStringOrNull("side")),
            Type = lenient && item.GetStringOrNull("orderType") is not ("Limit" or "Market") ? (price > 0 ? OrderType.Limit : OrderType.Market) : ParseType(item.GetStringOrNull("orderType")),
            TimeInForce = lenient ? TryParseTimeInForce(tif) ?? TimeInForce.Gtc : ParseTimeInForce(tif),
            Price = price,
            Quantity = Num(item, "qty"),
            FilledQuantity = Num(item, "cumExecQty"),
            AveragePrice = Num(item, "avgPrice"),
            Status = lenient ? StatusOrUnknown(item.GetStringOrNull("orderStatus")) : ParseStatus(item.GetStringOrNull("orderStatus")),
            ReduceOnly = item.TryGetProperty("reduceOnly", out var r) && r.ValueKind == JsonValueKind.True,
            PostOnly = tif == "PostOnly",
            CreatedAt = Time(item, "createdTime"),
            UpdatedAt = Time(item, "updatedTime"),
            RejectReason = RejectReason(item),
        };
    }

    /// <summary>One item of the private <c>order</c> topic.</summary>
    public static OrderUpdate ParseOrderUpdate(JsonElement item)
    {
        var order = ParseOrder(item);
        return OrderUpdate.From(order, Venue);
    }

    /// <summary>The reject reason when it says something ("EC_NoError" and "" say nothing).</summary>
    public static string? RejectReason(JsonElement item) =>
        item.GetStringOrNull("rejectReason") is { Length: > 0 } reason && reason != "EC_NoError" ? reason : null;

    /// <summary>One item of the private <c>execution</c> topic, when it is a trade of an order (not funding or settlement).</summary>
    public static Fill? ParseExecution(JsonElement item)
    {
        var type = item.GetStringOrNull("execType");
        if (type is not (null or "Trade" or "AdlTrade" or "BustTrade" or "BlockTrade"))
        {
            return null;
        }

        return new Fill
        {
            TradeId = item.GetRequiredString("execId"),
            ExchangeOrderId = item.GetRequiredString("orderId"),
            ClientOrderId = Empty(item.GetStringOrNull("orderLinkId")),
            Symbol = item.GetRequiredString("symbol"),
            Side = ParseSide(item.GetStringOrNull("side")),
            Price = Num(item, "execPrice"),
            Quantity = Num(item, "execQty"),
            Fee = Num(item, "execFee"),
            FeeAsset = Empty(item.GetStringOrNull("feeCurrency")) ?? "USDT",
            RealizedPnl = Num(item, "execPnl"),
            IsMaker = item.TryGetProperty("isMaker", out var maker) && maker.ValueKind == JsonValueKind.True,
            Timestamp = Time(item, "execTime"),
        };
    }

    /// <summary>Quantity of the execution's order still open after it, and the order quantity.</summary>
    public static (decimal OrderQty, decimal LeavesQty) ExecutionProgress(JsonElement item) => (Num(item, "orderQty"), Num(item, "leavesQty"));

    /// <summary>
    /// One position of /v5/position/list or the private <c>position</c> topic; <c>side</c> Sell is a short, "" flat.
    /// <c>tradeMode</c> is "Deprecated, always 0, check Get Account Info to know the margin mode"
    /// (https://bybit-exchange.github.io/docs/v5/position), so the margin type is the account's, passed in
    /// (<see cref="ParseMarginType"/>).
    /// </summary>
    public static Position ParsePosition(JsonElement item, string marginType = CrossMargin)
    {
        var size = Num(item, "size");
        if (item.GetStringOrNull("side") == "Sell")
        {
            size = -size;
        }

        var entry = item.TryGetProperty("avgPrice", out _) ? Num(item, "avgPrice") : Num(item, "entryPrice");
        return new Position
        {
            Symbol = item.GetRequiredString("symbol"),
            Size = size,
            EntryPrice = entry,
            MarkPrice = Num(item, "markPrice"),
            UnrealizedPnl = Num(item, "unrealisedPnl"),
            RealizedPnl = Num(item, "cumRealisedPnl"),
            Leverage = (int)Num(item, "leverage"),
            MarginType = marginType,
            LiquidationPrice = Num(item, "liqPrice"),
            UpdateTime = Time(item, "updatedTime"),
        };
    }

    public const string CrossMargin = "cross";
    public const string IsolatedMargin = "isolated";

    /// <summary>
    /// The account's margin mode of /v5/account/info (https://bybit-exchange.github.io/docs/v5/account/account-info):
    /// <c>ISOLATED_MARGIN</c> is isolated; <c>REGULAR_MARGIN</c> (cross) and <c>PORTFOLIO_MARGIN</c> share margin
    /// across positions. Anything else is reported as an unknown value.
    /// </summary>
    public static string ParseMarginType(JsonElement accountInfo) => accountInfo.GetStringOrNull("marginMode") switch
    {
        "ISOLATED_MARGIN" => IsolatedMargin,
        "REGULAR_MARGIN" or "PORTFOLIO_MARGIN" => CrossMargin,
        var other => throw new BybitUnknownValueException("marginMode", other),
    };

    /// <summary>
    /// Position mode check: OpenSqt trades one-way positions (positionIdx 0) only. <c>positionIdx</c> is what tells
    /// the mode (https://bybit-exchange.github.io/docs/v5/enum#positionidx: 0 one-way, 1 hedge Buy, 2 hedge Sell;
    /// https://bybit-exchange.github.io/docs/v5/position/position-mode), not the deprecated <c>tradeMode</c>.
    /// </summary>
    public static int PositionIndex(JsonElement item) =>
        item.TryGetProperty("positionIdx", out var idx) && idx.ValueKind == JsonValueKind.Number ? idx.GetInt32() : 0;

    /// <summary>The UNIFIED account of /v5/account/wallet-balance or of the private <c>wallet</c> topic.</summary>
    public static Account ParseWallet(JsonElement account, IReadOnlyList<Position> positions, DateTimeOffset time) => new()
    {
        WalletBalance = Num(account, "totalWalletBalance"),
        MarginBalance = Num(account, "totalMarginBalance"),
        AvailableBalance = Num(account, "totalAvailableBalance"),
        UnrealizedPnl = Num(account, "totalPerpUPL"),
        MaintenanceMargin = Num(account, "totalMaintenanceMargin"),
        IsUnified = account.GetStringOrNull("accountType") == "UNIFIED",
        Positions = positions,
        UpdateTime = time,
    };

    /// <summary>The wallet balance of one coin in a wallet account; 0 when the coin is not held.</summary>
    public static decimal ParseCoinBalance(JsonElement account, string asset)
    {
        if (account.TryGetProperty("coin", out var coins) && coins.ValueKind == JsonValueKind.Array)
        {
            foreach (var coin in coins.EnumerateArray())
            {
                if (coin.GetStringOrNull("coin") == asset)
                {
                    return Num(coin, "walletBalance");
                }
            }
        }

        return 0m;
    }

    /// <summary>One instrument of /v5/market/instruments-info: tick, qty step, min/max qty and min notional.</summary>
    public static SymbolRules ParseInstrument(JsonElement item)
    {
        var price = item.GetProperty("priceFilter");
        var lot = item.GetProperty("lotSizeFilter");
        return new SymbolRules
        {
            Symbol = item.GetRequiredString("symbol"),
            BaseAsset = item.GetRequiredString("baseCoin"),
            QuoteAsset = item.GetRequiredString("quoteCoin"),
            TickSize = Num(price, "tickSize"),
            StepSize = Num(lot, "qtyStep"),
            MinQuantity = Num(lot, "minOrderQty"),
            MaxQuantity = lot.GetDecimalOrNull("maxOrderQty"),
            MinNotional = Num(lot, "minNotionalValue"),
        };
    }

    /// <summary>Whether an instrument is a trading USDT perpetual.</summary>
    public static bool IsTradingPerpetual(JsonElement item) =>
        item.GetStringOrNull("status") == "Trading" && item.GetStringOrNull("contractType") == "LinearPerpetual";

    public static Ticker ParseTicker(JsonElement item, DateTimeOffset time)
    {
        var last = Num(item, "lastPrice");
        var previous = Num(item, "prevPrice24h");
        return new Ticker
        {
            Symbol = item.GetRequiredString("symbol"),
            LastPrice = last,
            PriceChange = previous == 0 ? 0 : last - previous,
            PriceChangePercent = Num(item, "price24hPcnt") * 100m,
            Volume = Num(item, "volume24h"),
            QuoteVolume = Num(item, "turnover24h"),
            OpenInterest = Num(item, "openInterest"),
            Timestamp = time,
        };
    }

    public static FundingRate ParseFunding(JsonElement item, DateTimeOffset time) => new()
    {
        Exchange = Venue,
        Symbol = item.GetRequiredString("symbol"),
        Rate = Num(item, "fundingRate"),
        NextFundingTime = Time(item, "nextFundingTime"),
        Timestamp = time,
    };

    /// <summary>/v5/market/kline rows (newest first) as candles oldest first; the newest may still be open.</summary>
    public static IReadOnlyList<Candle> ParseKlines(JsonElement envelope, string symbol, string interval, DateTimeOffset now)
    {
        var span = KlineInterval.ToTimeSpan(interval);
        var candles = new List<Candle>();
        foreach (var row in List(envelope))
        {
            var open = DateTimeOffset.FromUnixTimeMilliseconds((long)VenueJson.ToDecimal(row[0], "startTime"));
            candles.Add(new Candle
            {
                Symbol = symbol,
                Interval = interval,
                OpenTime = open,
                Open = VenueJson.ToDecimal(row[1], "open"),
                High = VenueJson.ToDecimal(row[2], "high"),
                Low = VenueJson.ToDecimal(row[3], "low"),
                Close = VenueJson.ToDecimal(row[4], "close"),
                Volume = VenueJson.ToDecimal(row[5], "volume"),
                QuoteVolume = VenueJson.ToDecimal(row[6], "turnover"),
                IsClosed = open + span <= now,
            });
        }

        candles.Reverse();
        return candles;
    }

    /// <summary>One item of the public <c>kline.{interval}.{symbol}</c> topic.</summary>
    public static Candle ParseWsKline(JsonElement item, string symbol) => new()
    {
        Symbol = symbol,
        Interval = ParseInterval(item.GetRequiredString("interval")),
        OpenTime = DateTimeOffset.FromUnixTimeMilliseconds(item.GetInt64("start")),
        Open = Num(item, "open"),
        High = Num(item, "high"),
        Low = Num(item, "low"),
        Close = Num(item, "close"),
        Volume = Num(item, "volume"),
        QuoteVolume = Num(item, "turnover"),
        IsClosed = item.TryGetProperty("confirm", out var confirm) && confirm.ValueKind == JsonValueKind.True,
    };

    /// <summary>
    /// One item of the public <c>publicTrade.{symbol}</c> topic as a tape trade: <c>T</c> the fill time (ms), <c>s</c>,
    /// <c>S</c> the taker's side (<c>Sell</c>: the buyer was the maker), <c>v</c> the size in the base coin (linear),
    /// <c>p</c>, <c>i</c> the trade id, <c>seq</c> the cross sequence
    /// (https://bybit-exchange.github.io/docs/v5/websocket/public/trade, docs repo docs/v5/websocket/public/trade.mdx;
    /// reference/venues/vectors/bybit/bybit_ws_public_trade.json). Bybit's trade id is a string: a UUID on linear
    /// contracts (the vector's <c>20f43950-d8dd-...</c>), so <see cref="TapeTrade.TradeId"/> is the id when it is
    /// numeric and otherwise the match's cross sequence <c>seq</c>, which increases from match to match but is shared by
    /// the trades of one match (the docs: "multiple messages may be sent for the same seq").
    /// </summary>
    public static TapeTrade ParseWsPublicTrade(JsonElement item)
    {
        var id = item.GetRequiredString("i");
        var tradeId = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric) ? numeric
            : item.GetInt64("seq") is > 0 and var seq ? seq
            : throw new ExchangeException(ExchangeErrorKind.Internal, $"bybit trade '{id}' has no numeric id and no cross sequence");
        var buyerIsMaker = item.GetRequiredString("S") switch
        {
            "Sell" => true,
            "Buy" => false,
            var side => throw new BybitUnknownValueException("S", side),
        };
        var time = item.GetInt64("T") is > 0 and var ms ? ms : throw new ExchangeException(ExchangeErrorKind.Internal, "bybit trade has no fill time 'T'");
        return new TapeTrade(item.GetRequiredString("s"), tradeId, item.GetPositiveDecimal("p"), item.GetPositiveDecimal("v"), buyerIsMaker, DateTimeOffset.FromUnixTimeMilliseconds(time));
    }

    /// <summary>
    /// One <c>orderbook.1.{symbol}</c> push as the top of the book: <c>data.b[0]</c> and <c>data.a[0]</c> are the best
    /// bid and ask as [price, size] (linear sizes in the base coin), <c>data.u</c> the update id, <c>cts</c> the
    /// matching engine's time (correlates with a trade's <c>T</c>), else <c>ts</c>. Level 1 is pushed as snapshots only
    /// (https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook, docs repo
    /// docs/v5/websocket/public/orderbook.mdx: "Linear, inverse, spot level 1 data has snapshot message only"). Null
    /// when a side is empty: there is no top to record.
    /// </summary>
    public static BookTop? ParseWsBookTop(JsonElement root)
    {
        var data = root.GetProperty("data");
        var bids = data.GetProperty("b");
        var asks = data.GetProperty("a");
        if (bids.GetArrayLength() == 0 || asks.GetArrayLength() == 0)
        {
            return null;
        }

        var time = root.GetInt64("cts") is > 0 and var cts ? cts : root.GetInt64("ts");
        return new BookTop(
            data.GetRequiredString("s"),
            data.GetInt64("u"),
            VenueJson.ToDecimal(bids[0][0], "b"),
            VenueJson.ToDecimal(bids[0][1], "b"),
            VenueJson.ToDecimal(asks[0][0], "a"),
            VenueJson.ToDecimal(asks[0][1], "a"),
            DateTimeOffset.FromUnixTimeMilliseconds(time));
    }

    /// <summary>A decimal field; absent or "" is 0.</summary>
    public static decimal Num(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && !(value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0) && value.ValueKind != JsonValueKind.Null
            ? VenueJson.ToDecimal(value, property)
            : 0m;

    /// <summary>A millisecond time field (string or number); absent or "" is the epoch.</summary>
    public static DateTimeOffset Time(JsonElement element, string property) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)Num(element, property));

    private static string? Empty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    internal static string Ms(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The cursor of the next page of a list answer; null on the last page.</summary>
    public static string? NextCursor(JsonElement envelope) =>
        Result(envelope).GetStringOrNull("nextPageCursor") is { Length: > 0 } next ? next : null;

    /// <summary>A batch body: <c>{"category":"linear","request":[...]}</c>, one object an item written by <paramref name="write"/>.</summary>
    public static string BatchBody<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> write) => VenueJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("category", Category);
        w.WriteStartArray("request");
        foreach (var item in items)
        {
            w.WriteStartObject();
            write(w, item);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>Batch answers: <c>result.list[i]</c> beside <c>retExtInfo.list[i]</c> (per-item code and message).</summary>
    public static List<(JsonElement? Item, string Code, string? Message)> BatchResults(JsonElement envelope)
    {
        var items = List(envelope).Select(e => (JsonElement?)e.Clone()).ToList();
        var codes = envelope.TryGetProperty("retExtInfo", out var ext) && ext.ValueKind == JsonValueKind.Object && ext.TryGetProperty("list", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(c => (c.GetRequiredString("code"), c.GetStringOrNull("msg"))).ToList()
            : [];
        var results = new List<(JsonElement?, string, string?)>();
        for (var i = 0; i < Math.Max(items.Count, codes.Count); i++)
        {
            var (code, message) = i < codes.Count ? codes[i] : ("0", null);
            results.Add((i < items.Count ? items[i] : null, code, message));
        }

        return results;
    }

    /// <summary>The fields of one order: PostOnly through timeInForce, one-way positionIdx 0, orderLinkId exactly as given.</summary>
    public static void WriteOrderFields(Utf8JsonWriter w, OrderRequest request)
    {
        var limitPrice = OrderChecks.Validate(request);
        w.WriteString("symbol", request.Symbol);
        w.WriteString("side", FormatSide(request.Side));
        if (limitPrice is not { } price)
        {
            w.WriteString("orderType", "Market");
            w.WriteString("qty", VenueJson.Format(request.Quantity));
        }
        else
        {
            w.WriteString("orderType", "Limit");
            w.WriteString("qty", VenueJson.Format(request.Quantity));
            w.WriteString("price", VenueJson.Format(price));
            w.WriteString("timeInForce", FormatTimeInForce(OrderChecks.SentTimeInForce(request)));
        }

        w.WriteNumber("positionIdx", 0);
        if (request.ReduceOnly)
        {
            w.WriteBoolean("reduceOnly", true);
        }

        if (!string.IsNullOrEmpty(request.ClientOrderId))
        {
            w.WriteString("orderLinkId", request.ClientOrderId);
        }
    }

    /// <summary>The body of /v5/order/cancel of one order, by id or client id.</summary>
    public static string CancelBody(string symbol, OrderRef order) => VenueJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("category", Category);
        w.WriteString("symbol", symbol);
        WriteRef(w, order);
        w.WriteEndObject();
    });

    public static void WriteRef(Utf8JsonWriter w, OrderRef order)
    {
        if (order.ExchangeOrderId is { } id)
        {
            w.WriteString("orderId", id);
        }
        else
        {
            w.WriteString("orderLinkId", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)));
        }
    }
}

internal sealed class BybitUnknownValueException(string field, string? value)
    : ExchangeException(ExchangeErrorKind.Internal, $"bybit sent an unknown {field} '{value}'")
{
    public string Field { get; } = field;

    public string? Value { get; } = value;

    /// <summary>
    /// When the unknown value is only the order type or time in force: the order read with them mapped (a limit order
    /// when it carries a price, a market order otherwise; good till cancelled). A single read answers this order
    /// instead of failing; a list or a stream still skips the item. Null when the unknown value is a status or side.
    /// </summary>
    public Order? Mapped { get; init; }
}
