using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance USDT-M payloads into OpenSqt domain values. Numbers are read leniently (string or number) into decimal.
/// Order types beyond LIMIT and MARKET map onto the nearest of the two (stop-limit kinds are limits once triggered,
/// stop-market kinds markets); GTD maps to GTC.
/// </summary>
internal static partial class BinanceParsers
{
    public const string Venue = "binance";

    public static OrderSide ParseSide(string? side) => side switch
    {
        "BUY" => OrderSide.Buy,
        "SELL" => OrderSide.Sell,
        _ => throw new ExchangeException(ExchangeErrorKind.Internal, $"binance sent an unknown side '{side}'"),
    };

    /// <summary>
    /// The order types Binance documents (LIMIT, MARKET, STOP, STOP_MARKET, TAKE_PROFIT, TAKE_PROFIT_MARKET,
    /// TRAILING_STOP_MARKET; LIQUIDATION on forced orders: https://developers.binance.com/docs/derivatives/usds-margined-futures/common-definition),
    /// or null for one it may add later.
    /// </summary>
    public static OrderType? TryParseType(string? type) => type switch
    {
        "LIMIT" or "STOP" or "TAKE_PROFIT" => OrderType.Limit,
        "MARKET" or "STOP_MARKET" or "TAKE_PROFIT_MARKET" or "TRAILING_STOP_MARKET" or "LIQUIDATION" => OrderType.Market,
        _ => null,
    };

    /// <summary>
    /// An order type; one Binance adds later does not fail the answer: it is reported to <paramref name="onUnknown"/>
    /// and read as a limit order when the order carries a price, a market order otherwise.
    /// </summary>
    public static OrderType ParseType(string? type, decimal price = 0, Action<string, string>? onUnknown = null)
    {
        if (TryParseType(type) is { } known)
        {
            return known;
        }

        onUnknown?.Invoke("type", type ?? "");
        return price > 0 ? OrderType.Limit : OrderType.Market;
    }

    /// <summary>
    /// Binance time-in-force values (GTC, IOC, FOK, GTX, GTD; same common-definition page), or null for one it may add.
    /// </summary>
    public static TimeInForce? TryParseTimeInForce(string? tif) => tif switch
    {
        "GTC" or "GTD" or null or "" => TimeInForce.Gtc,
        "IOC" => TimeInForce.Ioc,
        "FOK" => TimeInForce.Fok,
        "GTX" => TimeInForce.Gtx,
        _ => null,
    };

    /// <summary>A time in force; an unknown one is reported to <paramref name="onUnknown"/> and read as GTC (not post-only).</summary>
    public static TimeInForce ParseTimeInForce(string? tif, Action<string, string>? onUnknown = null)
    {
        if (TryParseTimeInForce(tif) is { } known)
        {
            return known;
        }

        onUnknown?.Invoke("timeInForce", tif ?? "");
        return TimeInForce.Gtc;
    }

    /// <summary>An order status, or null for one Binance may add later.</summary>
    public static OrderStatus? TryParseStatus(string? status) => status switch
    {
        "NEW" or "NEW_INSURANCE" or "NEW_ADL" => OrderStatus.New,
        "PARTIALLY_FILLED" => OrderStatus.PartiallyFilled,
        "FILLED" => OrderStatus.Filled,
        "CANCELED" => OrderStatus.Canceled,
        "EXPIRED" or "EXPIRED_IN_MATCH" => OrderStatus.Expired,
        "REJECTED" => OrderStatus.Rejected,
        _ => null,
    };

    /// <summary>A status; one Binance adds later is reported to <paramref name="onUnknown"/> and read as <see cref="OrderStatus.Unknown"/>.</summary>
    private static OrderStatus StatusOrUnknown(string? status, Action<string, string>? onUnknown)
    {
        if (TryParseStatus(status) is { } known)
        {
            return known;
        }

        onUnknown?.Invoke("status", status ?? "");
        return OrderStatus.Unknown;
    }

    public static OrderStatus ParseStatus(string? status) =>
        TryParseStatus(status) ?? throw new ExchangeException(ExchangeErrorKind.Internal, $"binance sent an unknown order status '{status}'");

    public static string FormatSide(OrderSide side) => side == OrderSide.Buy ? "BUY" : "SELL";

    public static string FormatTimeInForce(TimeInForce tif) => tif switch
    {
        TimeInForce.Ioc => "IOC",
        TimeInForce.Fok => "FOK",
        TimeInForce.Gtx => "GTX",
        _ => "GTC",
    };

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>An order as answered by place, cancel, query and open orders.</summary>
    public static Order ParseOrder(JsonElement e) => ParseOrder(e, null);

    /// <summary>
    /// An order as answered by place, cancel, query and open orders. An order type or time in force the connector does
    /// not know is reported to <paramref name="onUnknown"/> (field, value) and mapped as <see cref="ParseType"/> and
    /// <see cref="ParseTimeInForce(string?, Action{string, string}?)"/> say, so the rest of the answer stands.
    /// </summary>
    public static Order ParseOrder(JsonElement e, Action<string, string>? onUnknown)
    {
        var tif = ParseTimeInForce(e.GetStringOrNull("timeInForce"), onUnknown);
        var updated = e.GetInt64("updateTime");
        var created = e.TryGetProperty("time", out _) ? e.GetInt64("time") : updated;
        var price = e.GetDecimal("price");
        return new Order
        {
            ExchangeOrderId = e.GetRequiredString("orderId"),
            ClientOrderId = e.GetStringOrNull("clientOrderId"),
            Symbol = e.GetRequiredString("symbol"),
            Side = ParseSide(e.GetStringOrNull("side")),
            Type = ParseType(e.GetStringOrNull("type"), price, onUnknown),
            TimeInForce = tif,
            Price = price,
            Quantity = e.GetDecimal("origQty"),
            FilledQuantity = e.GetDecimal("executedQty"),
            AveragePrice = e.GetDecimal("avgPrice"),
            Status = StatusOrUnknown(e.GetStringOrNull("status"), onUnknown),
            ReduceOnly = e.GetBoolean("reduceOnly"),
            PostOnly = tif == TimeInForce.Gtx,
            CreatedAt = FromMs(created),
            UpdatedAt = FromMs(updated),
        };
    }

    /// <summary>The answer of POST /fapi/v1/batchOrders: one order or one error per item, in request order.</summary>
    public static IReadOnlyList<(Order? Order, VenueFailure? Error)> ParseBatchOrders(JsonElement array, Action<string, string>? onUnknown = null)
    {
        var result = new List<(Order?, VenueFailure?)>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.TryGetProperty("code", out _) && item.GetInt64("code") < 0)
            {
                result.Add((null, BinanceErrors.Table.ToFailure(item.GetRequiredString("code"), item.GetStringOrNull("msg"), 400)));
            }
            else
            {
                result.Add((ParseOrder(item, onUnknown), null));
            }
        }

        return result;
    }

    /// <summary>
    /// Instrument rules from /fapi/v1/exchangeInfo: PRICE_FILTER tick, LOT_SIZE step/min/max, MIN_NOTIONAL notional.
    /// Only perpetual contracts that are trading.
    /// </summary>
    public static IReadOnlyList<SymbolRules> ParseExchangeInfo(JsonElement root)
    {
        var rules = new List<SymbolRules>();
        foreach (var s in root.GetProperty("symbols").EnumerateArray())
        {
            if (s.GetStringOrNull("contractType") is { } contract && contract != "PERPETUAL")
            {
                continue;
            }

            if (s.GetStringOrNull("status") is { } status && status != "TRADING")
            {
                continue;
            }

            decimal tick = 0, step = 0, minQty = 0, minNotional = 0;
            decimal? maxQty = null;
            foreach (var filter in s.GetProperty("filters").EnumerateArray())
            {
                switch (filter.GetStringOrNull("filterType"))
                {
                    case "PRICE_FILTER":
                        tick = filter.GetDecimal("tickSize");
                        break;
                    case "LOT_SIZE":
                        step = filter.GetDecimal("stepSize");
                        minQty = filter.GetDecimal("minQty");
                        maxQty = filter.GetDecimalOrNull("maxQty");
                        break;
                    case "MIN_NOTIONAL":
                        minNotional = filter.GetDecimal("notional");
                        break;
                }
            }

            var symbol = s.GetRequiredString("symbol");
            if (tick <= 0 || step <= 0)
            {
                throw new ExchangeException(ExchangeErrorKind.Internal, $"binance exchangeInfo for {symbol} lacks PRICE_FILTER.tickSize or LOT_SIZE.stepSize");
            }

            rules.Add(new SymbolRules
            {
                Symbol = symbol,
                BaseAsset = s.GetRequiredString("baseAsset"),
                QuoteAsset = s.GetRequiredString("quoteAsset"),
                TickSize = tick.Normalize(),
                StepSize = step.Normalize(),
                MinQuantity = minQty.Normalize(),
                MinNotional = minNotional,
                MaxQuantity = maxQty,
            });
        }

        return rules;
    }

    /// <summary>
    /// The <c>rateLimits</c> of /fapi/v1/exchangeInfo mapped onto <see cref="BinanceRateLimits"/> rule names
    /// (REQUEST_WEIGHT per minute, ORDERS per 10 seconds and per minute); other entries are left out.
    /// </summary>
    public static IReadOnlyDictionary<string, int> ParseRateLimits(JsonElement root)
    {
        var limits = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!root.TryGetProperty("rateLimits", out var list))
        {
            return limits;
        }

        foreach (var l in list.EnumerateArray())
        {
            var name = (l.GetStringOrNull("rateLimitType"), l.GetStringOrNull("interval"), l.GetInt64("intervalNum")) switch
            {
                ("REQUEST_WEIGHT", "MINUTE", 1) => BinanceRateLimits.Weight,
                ("ORDERS", "SECOND", 10) => BinanceRateLimits.Orders10S,
                ("ORDERS", "MINUTE", 1) => BinanceRateLimits.Orders1M,
                _ => null,
            };
            if (name is not null)
            {
                limits[name] = (int)l.GetInt64("limit");
            }
        }

        return limits;
    }

    /// <summary>GET /fapi/v1/klines: arrays [openTime, open, high, low, close, volume, closeTime, quoteVolume, ...].</summary>
    public static IReadOnlyList<Candle> ParseKlines(JsonElement array, string symbol, string interval, DateTimeOffset now)
    {
        var candles = new List<Candle>(array.GetArrayLength());
        foreach (var k in array.EnumerateArray())
        {
            var closeTime = k[6].ValueKind == JsonValueKind.Number ? k[6].GetInt64() : long.Parse(k[6].GetString()!, CultureInfo.InvariantCulture);
            candles.Add(new Candle
            {
                Symbol = symbol,
                Interval = interval,
                OpenTime = FromMs(k[0].ValueKind == JsonValueKind.Number ? k[0].GetInt64() : long.Parse(k[0].GetString()!, CultureInfo.InvariantCulture)),
                Open = VenueJson.ToDecimal(k[1], "open"),
                High = VenueJson.ToDecimal(k[2], "high"),
                Low = VenueJson.ToDecimal(k[3], "low"),
                Close = VenueJson.ToDecimal(k[4], "close"),
                Volume = VenueJson.ToDecimal(k[5], "volume"),
                QuoteVolume = VenueJson.ToDecimal(k[7], "quoteVolume"),
                IsClosed = closeTime < now.ToUnixTimeMilliseconds(),
            });
        }

        return candles;
    }

    /// <summary>GET /fapi/v3/account (or v2): totals in USDT and the positions that are not flat.</summary>
    public static Account ParseAccount(JsonElement e, IReadOnlyList<Position>? positions = null)
    {
        var parsedPositions = positions;
        if (parsedPositions is null && e.TryGetProperty("positions", out var list))
        {
            parsedPositions = ParsePositions(list);
        }

        long updated = 0;
        if (e.TryGetProperty("assets", out var assets))
        {
            foreach (var asset in assets.EnumerateArray())
            {
                updated = Math.Max(updated, asset.GetInt64("updateTime"));
            }
        }

        return new Account
        {
            WalletBalance = e.GetDecimal("totalWalletBalance"),
            MarginBalance = e.GetDecimal("totalMarginBalance"),
            AvailableBalance = e.GetDecimal("availableBalance"),
            UnrealizedPnl = e.GetDecimal("totalUnrealizedProfit"),
            MaintenanceMargin = e.GetDecimal("totalMaintMargin"),
            Leverage = parsedPositions is { Count: > 0 } ? parsedPositions.Max(p => p.Leverage) : 0,
            Positions = parsedPositions ?? [],
            UpdateTime = FromMs(updated),
        };
    }

    /// <summary>GET /fapi/v2|v3/positionRisk or the positions of /fapi/v3/account; flat positions are left out.</summary>
    public static IReadOnlyList<Position> ParsePositions(JsonElement array)
    {
        var positions = new List<Position>();
        foreach (var p in array.EnumerateArray())
        {
            var size = p.GetDecimal("positionAmt");
            if (size == 0)
            {
                continue;
            }

            positions.Add(new Position
            {
                Symbol = p.GetRequiredString("symbol"),
                Size = size,
                EntryPrice = p.GetDecimal("entryPrice"),
                MarkPrice = p.GetDecimal("markPrice"),
                UnrealizedPnl = p.TryGetProperty("unRealizedProfit", out _) ? p.GetDecimal("unRealizedProfit") : p.GetDecimal("unrealizedProfit"),
                Leverage = (int)p.GetDecimal("leverage"),
                MarginType = p.GetStringOrNull("marginType") is { } mt ? (mt == "isolated" ? "isolated" : "cross") : "cross",
                LiquidationPrice = p.GetDecimal("liquidationPrice"),
                UpdateTime = FromMs(p.GetInt64("updateTime")),
            });
        }

        return positions;
    }

    /// <summary>GET /fapi/v3/balance: the wallet balance of one asset (0 when the account holds none).</summary>
    public static decimal ParseBalance(JsonElement array, string asset)
    {
        foreach (var b in array.EnumerateArray())
        {
            if (b.GetStringOrNull("asset") == asset)
            {
                return b.GetDecimal("balance");
            }
        }

        return 0m;
    }

    /// <summary>GET /fapi/v1|v2/ticker/price.</summary>
    public static decimal ParseTickerPrice(JsonElement e) => e.GetDecimal("price");

    /// <summary>GET /fapi/v1/premiumIndex (one object, or an array without symbol).</summary>
    public static FundingRate ParsePremiumIndex(JsonElement e) => new()
    {
        Exchange = Venue,
        Symbol = e.GetRequiredString("symbol"),
        Rate = e.GetDecimal("lastFundingRate"),
        PredictedRate = e.GetDecimal("lastFundingRate"),
        NextFundingTime = FromMs(e.GetInt64("nextFundingTime")),
        Timestamp = FromMs(e.GetInt64("time")),
    };

    /// <summary>GET /fapi/v1/fundingRate history.</summary>
    public static FundingRate ParseFundingHistory(JsonElement e) => new()
    {
        Exchange = Venue,
        Symbol = e.GetRequiredString("symbol"),
        Rate = e.GetDecimal("fundingRate"),
        Timestamp = FromMs(e.GetInt64("fundingTime")),
    };

    /// <summary>GET /fapi/v1/ticker/24hr item.</summary>
    public static Ticker ParseTicker24h(JsonElement e) => new()
    {
        Symbol = e.GetRequiredString("symbol"),
        LastPrice = e.GetDecimal("lastPrice"),
        PriceChange = e.GetDecimal("priceChange"),
        PriceChangePercent = e.GetDecimal("priceChangePercent"),
        Volume = e.GetDecimal("volume"),
        QuoteVolume = e.GetDecimal("quoteVolume"),
        Timestamp = FromMs(e.GetInt64("closeTime")),
    };

    /// <summary>The WS <c>24hrTicker</c> event.</summary>
    public static Ticker ParseWsTicker(JsonElement e) => new()
    {
        Symbol = e.GetRequiredString("s"),
        LastPrice = e.GetDecimal("c"),
        PriceChange = e.GetDecimal("p"),
        PriceChangePercent = e.GetDecimal("P"),
        Volume = e.GetDecimal("v"),
        QuoteVolume = e.GetDecimal("q"),
        Timestamp = FromMs(e.GetInt64("E")),
    };

    /// <summary>The WS <c>kline</c> event.</summary>
    public static Candle ParseWsKline(JsonElement e)
    {
        var k = e.GetProperty("k");
        return new Candle
        {
            Symbol = k.GetRequiredString("s"),
            Interval = k.GetRequiredString("i"),
            OpenTime = FromMs(k.GetInt64("t")),
            Open = k.GetDecimal("o"),
            High = k.GetDecimal("h"),
            Low = k.GetDecimal("l"),
            Close = k.GetDecimal("c"),
            Volume = k.GetDecimal("v"),
            QuoteVolume = k.GetDecimal("q"),
            IsClosed = k.GetBoolean("x"),
        };
    }

    /// <summary>The WS <c>aggTrade</c> event as a price change.</summary>
    public static PriceChange ParseWsAggTrade(JsonElement e) =>
        new(e.GetRequiredString("s"), e.GetDecimal("p"), FromMs(e.GetInt64("T")), Venue);

    /// <summary>
    /// The WS <c>aggTrade</c> event as a tape trade: <c>a</c> the aggregate trade id, <c>p</c>/<c>q</c> price and
    /// quantity, <c>T</c> the trade time, <c>m</c> "is the buyer the market maker" (reference/venues/vectors/binance/
    /// binance_usdm_ws_agg_trade.json, from the official binance-connector-python's market-stream tests).
    /// </summary>
    public static TapeTrade ParseWsAggTape(JsonElement e) =>
        new(e.GetRequiredString("s"), e.GetInt64("a"), e.GetDecimal("p"), e.GetDecimal("q"), e.GetProperty("m").GetBoolean(), FromMs(e.GetInt64("T")));

    /// <summary>
    /// The WS <c>bookTicker</c> event as the top of the book: <c>u</c> the update id, <c>b</c>/<c>B</c> best bid and its
    /// quantity, <c>a</c>/<c>A</c> best ask and its quantity, <c>T</c> the transaction time
    /// (reference/venues/vectors/binance/binance_usdm_ws_book_ticker.json, from the official binance-connector-python's
    /// public-stream tests).
    /// </summary>
    public static BookTop ParseWsBookTicker(JsonElement e) =>
        new(e.GetRequiredString("s"), e.GetInt64("u"), e.GetDecimal("b"), e.GetDecimal("B"), e.GetDecimal("a"), e.GetDecimal("A"), FromMs(e.GetInt64("T")));

    /// <summary>The WS <c>markPriceUpdate</c> event as a funding rate.</summary>
    public static FundingRate ParseWsMarkPrice(JsonElement e) => new()
    {
        Exchange = Venue,
        Symbol = e.GetRequiredString("s"),
        Rate = e.GetDecimal("r"),
        PredictedRate = e.GetDecimal("r"),
        NextFundingTime = FromMs(e.GetInt64("T")),
        Timestamp = FromMs(e.GetInt64("E")),

        // "p": mark price (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Mark-Price-Stream).
        MarkPrice = e.GetDecimal("p"),
    };

    /// <summary>
    /// The WS <c>ACCOUNT_UPDATE</c> event: wallet balances by asset and the positions it reports (one-way positions are
    /// <c>ps=BOTH</c>; hedge-mode legs keep their signed amount).
    /// </summary>
    public static (IReadOnlyDictionary<string, decimal> WalletBalances, IReadOnlyList<Position> Positions, string Reason) ParseAccountUpdate(JsonElement e)
    {
        var a = e.GetProperty("a");
        var time = FromMs(e.GetInt64("T"));
        var balances = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (a.TryGetProperty("B", out var b))
        {
            foreach (var item in b.EnumerateArray())
            {
                balances[item.GetRequiredString("a")] = item.GetDecimal("wb");
            }
        }

        var positions = new List<Position>();
        if (a.TryGetProperty("P", out var p))
        {
            foreach (var item in p.EnumerateArray())
            {
                positions.Add(new Position
                {
                    Symbol = item.GetRequiredString("s"),
                    Size = item.GetDecimal("pa"),
                    EntryPrice = item.GetDecimal("ep"),
                    UnrealizedPnl = item.GetDecimal("up"),
                    RealizedPnl = item.GetDecimal("cr"),
                    MarginType = item.GetStringOrNull("mt") == "isolated" ? "isolated" : "cross",
                    UpdateTime = time,
                });
            }
        }

        return (balances, positions, a.GetStringOrNull("m") ?? "");
    }

    /// <summary>The user-stream event type (<c>e</c>) of a raw or combined-envelope message, and the event itself.</summary>
    public static (string? Type, JsonElement Event) UnwrapUserEvent(JsonElement root)
    {
        var e = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : root;
        return (e.GetStringOrNull("e"), e);
    }

    /// <summary>POST/PUT /fapi/v1/listenKey.</summary>
    public static string ParseListenKey(JsonElement e) => e.GetRequiredString("listenKey");

    /// <summary>GET /fapi/v1/time, in Unix milliseconds.</summary>
    public static long ParseServerTime(JsonElement e) => e.GetInt64("serverTime");

    /// <summary>GET /fapi/v1/ticker/bookTicker or the WS <c>bookTicker</c> event: best bid and ask.</summary>
    public static (string Symbol, decimal Bid, decimal Ask) ParseBookTicker(JsonElement e) =>
        e.TryGetProperty("bidPrice", out _)
            ? (e.GetRequiredString("symbol"), e.GetDecimal("bidPrice"), e.GetDecimal("askPrice"))
            : (e.GetRequiredString("s"), e.GetDecimal("b"), e.GetDecimal("a"));

    /// <summary>
    /// The WS <c>TRADE_LITE</c> event as a fill. It duplicates the fill the next <c>ORDER_TRADE_UPDATE</c> carries (with
    /// the fee), so the user stream only uses it to recognise that duplicate.
    /// </summary>
    public static Fill ParseTradeLite(JsonElement e) => new()
    {
        TradeId = e.GetRequiredString("t"),
        ExchangeOrderId = e.GetRequiredString("i"),
        ClientOrderId = e.GetStringOrNull("c"),
        Symbol = e.GetRequiredString("s"),
        Side = ParseSide(e.GetStringOrNull("S")),
        Price = e.GetDecimal("L"),
        Quantity = e.GetDecimal("l"),
        IsMaker = e.GetBoolean("m"),
        Timestamp = FromMs(e.GetInt64("T")),
    };

    /// <summary>A WebSocket API answer (<c>{"id","status","result"|"error"}</c>) to order.place, as an order.</summary>
    public static Order ParseWsApiOrder(JsonElement e)
    {
        if (e.TryGetProperty("error", out var error))
        {
            throw BinanceErrors.Table.ToFailure(error.GetRequiredString("code"), error.GetStringOrNull("msg"), (int)e.GetInt64("status")).Exception;
        }

        return ParseOrder(e.GetProperty("result"));
    }

    public static List<KeyValuePair<string, string>> OrderParameters(OrderRequest request)
    {
        var limitPrice = OrderChecks.Validate(request);
        var parameters = new List<KeyValuePair<string, string>>(8)
        {
            KeyValuePair.Create("symbol", request.Symbol),
            KeyValuePair.Create("side", FormatSide(request.Side)),
        };
        if (limitPrice is not { } price)
        {
            parameters.Add(KeyValuePair.Create("type", "MARKET"));
            parameters.Add(KeyValuePair.Create("quantity", VenueJson.Format(request.Quantity)));
        }
        else
        {
            var tif = OrderChecks.SentTimeInForce(request);
            parameters.Add(KeyValuePair.Create("type", "LIMIT"));
            parameters.Add(KeyValuePair.Create("timeInForce", FormatTimeInForce(tif)));
            parameters.Add(KeyValuePair.Create("quantity", VenueJson.Format(request.Quantity)));
            parameters.Add(KeyValuePair.Create("price", VenueJson.Format(price)));
        }

        if (request.ReduceOnly)
        {
            parameters.Add(KeyValuePair.Create("reduceOnly", "true"));
        }

        if (!string.IsNullOrEmpty(request.ClientOrderId))
        {
            parameters.Add(KeyValuePair.Create("newClientOrderId", request.ClientOrderId));
        }

        return parameters;
    }

    public static KeyValuePair<string, string> RefParameter(OrderRef order) =>
        order.ExchangeOrderId is { } id
            ? KeyValuePair.Create("orderId", id)
            : KeyValuePair.Create("origClientOrderId", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)));

    /// <summary>One item of a <c>batchOrders</c> placement: the single-order parameters of <paramref name="request"/>.</summary>
    public static BinanceBatchOrderItem BatchOrderItem(OrderRequest request)
    {
        var p = OrderParameters(request).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new BinanceBatchOrderItem
        {
            Symbol = p["symbol"],
            Side = p["side"],
            Type = p["type"],
            Quantity = p["quantity"],
            Price = p.GetValueOrDefault("price"),
            TimeInForce = p.GetValueOrDefault("timeInForce"),
            ReduceOnly = p.GetValueOrDefault("reduceOnly"),
            NewClientOrderId = p.GetValueOrDefault("newClientOrderId"),
        };
    }

    /// <summary>The items of a batch cancel answer Binance refused (a negative <c>code</c>), by position among the <paramref name="sent"/> ids.</summary>
    public static IReadOnlyList<(int Position, ExchangeException Error)> ParseBatchCancel(JsonElement array, int sent)
    {
        var refused = new List<(int, ExchangeException)>();
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (i < sent && item.TryGetProperty("code", out _) && item.GetInt64("code") < 0)
            {
                refused.Add((i, BinanceErrors.Table.ToFailure(item.GetRequiredString("code"), item.GetStringOrNull("msg"), 400).Exception));
            }

            i++;
        }

        return refused;
    }
}
