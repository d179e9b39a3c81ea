using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bitget;

public sealed partial class BitgetSimulator
{
    private const string Mix = "/api/v2/mix";
    private readonly ConcurrentDictionary<string, Order> _cancelledPostOnly = new(StringComparer.Ordinal);
    private long _postOnlyIds = 9_000_000_000;

    private static Dictionary<string, int> Cost(string path) => new(StringComparer.Ordinal) { [IpLimit] = 1, [path] = 1 };

    private EndpointSpec? Endpoint(string method, string path)
    {
        var cost = Cost(path);
        return (method, path) switch
        {
            ("GET", "/api/v2/public/time") => new(false, false, cost, _ => Ok($"{{\"serverTime\":\"{Clock.NowMilliseconds}\"}}")),
            ("GET", Mix + "/market/contracts") => new(false, true, cost, ContractsAsync),
            ("GET", Mix + "/market/ticker") => new(false, true, cost, call => TickersAsync(Required(call.Query, "symbol"))),
            ("GET", Mix + "/market/tickers") => new(false, true, cost, _ => TickersAsync(null)),
            ("GET", Mix + "/market/candles") => new(false, true, cost, CandlesAsync),
            ("GET", Mix + "/market/funding-time") => new(false, true, cost, FundingTimeAsync),
            ("GET", Mix + "/market/history-fund-rate") => new(false, true, cost, FundingHistoryAsync),
            ("POST", Mix + "/order/place-order") => new(true, true, cost, PlaceAsync),
            ("POST", Mix + "/order/batch-place-order") => new(true, true, cost, BatchPlaceAsync),
            ("POST", Mix + "/order/cancel-order") => new(true, true, cost, CancelAsync),
            ("POST", Mix + "/order/batch-cancel-orders") => new(true, true, cost, BatchCancelAsync),
            ("GET", Mix + "/order/detail") => new(true, true, cost, DetailAsync),
            ("GET", Mix + "/order/orders-pending") => new(true, true, cost, PendingAsync),
            ("GET", Mix + "/account/accounts") => new(true, true, cost, _ => AccountsAsync()),
            ("GET", Mix + "/account/account") => new(true, true, cost, AccountAsync),
            ("GET", Mix + "/position/all-position") => new(true, true, cost, _ => PositionsAsync(null)),
            ("GET", Mix + "/position/single-position") => new(true, true, cost, call => PositionsAsync(Required(call.Query, "symbol"))),
            _ => null,
        };
    }

    private static Task<(int, string)> Ok(string json) => Task.FromResult((200, json));

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string D(decimal value) => WireNumbers.Format(value);

    private static string Required(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new BitgetSimError(400, "40019", $"Parameter {name} cannot be empty");

    private static string Required(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new BitgetSimError(400, "40019", $"Parameter {name} cannot be empty");

    private async Task<SymbolRules> RulesOf(string symbol)
    {
        if (!KnownSymbols.Contains(symbol))
        {
            throw new BitgetSimError(400, "40102", "Contract configuration does not exist, please check the parameters");
        }

        return await Engine.GetSymbolInfoAsync(symbol).ConfigureAwait(false);
    }

    private static int Places(decimal value) => (decimal.GetBits(value.Normalize())[3] >> 16) & 0xFF;

    private async Task<(int, string)> ContractsAsync(BitgetCall call)
    {
        var rules = await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var r in rules)
            {
                var pricePlace = Places(r.TickSize);
                w.WriteStartObject();
                w.WriteString("symbol", r.Symbol);
                w.WriteString("baseCoin", r.BaseAsset);
                w.WriteString("quoteCoin", r.QuoteAsset);
                w.WriteString("pricePlace", pricePlace.ToString(CultureInfo.InvariantCulture));
                w.WriteString("priceEndStep", D(r.TickSize * Pow10(pricePlace)));
                w.WriteString("volumePlace", Places(r.StepSize).ToString(CultureInfo.InvariantCulture));
                w.WriteString("sizeMultiplier", D(r.StepSize));
                w.WriteString("minTradeNum", D(r.MinQuantity));
                w.WriteString("minTradeUSDT", D(r.MinNotional));
                w.WriteString("makerFeeRate", "0.0002");
                w.WriteString("takerFeeRate", "0.0006");
                w.WriteStartArray("supportMarginCoins");
                w.WriteStringValue("USDT");
                w.WriteEndArray();
                w.WriteString("symbolType", "perpetual");
                w.WriteString("symbolStatus", "normal");
                w.WriteString("fundInterval", "8");
                w.WriteString("minLever", "1");
                w.WriteString("maxLever", "125");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private static decimal Pow10(int places)
    {
        var value = 1m;
        for (var i = 0; i < places; i++)
        {
            value *= 10m;
        }

        return value;
    }

    private async Task<(int, string)> TickersAsync(string? symbol)
    {
        if (symbol is not null)
        {
            await RulesOf(symbol).ConfigureAwait(false);
        }

        var rows = new List<string>();
        foreach (var t in (await Engine.GetTickersAsync().ConfigureAwait(false)).Where(t => symbol is null || t.Symbol == symbol))
        {
            rows.Add(TickerJson(t, await Engine.GetFundingRateAsync(t.Symbol).ConfigureAwait(false), push: false));
        }

        return (200, "[" + string.Join(',', rows) + "]");
    }

    private string TickerJson(Ticker t, FundingRate funding, bool push) => Json(w =>
    {
        w.WriteStartObject();
        if (push)
        {
            w.WriteString("instId", t.Symbol);
            w.WriteString("nextFundingTime", funding.NextFundingTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        }

        w.WriteString("symbol", t.Symbol);
        w.WriteString("lastPr", D(t.LastPrice));
        w.WriteString("askPr", D(t.LastPrice));
        w.WriteString("bidPr", D(t.LastPrice));
        w.WriteString("open24h", D(t.LastPrice - t.PriceChange));
        w.WriteString("change24h", D(decimal.Round(t.PriceChangePercent / 100m, 5)));
        w.WriteString("baseVolume", D(t.Volume));
        w.WriteString("quoteVolume", D(t.QuoteVolume));
        w.WriteString("usdtVolume", D(t.QuoteVolume));
        w.WriteString("fundingRate", D(funding.Rate));
        w.WriteString("holdingAmount", D(t.OpenInterest));
        w.WriteString("markPrice", D(t.LastPrice));
        w.WriteString("indexPrice", D(t.LastPrice));
        w.WriteString("ts", Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    });

    /// <summary>
    /// Granularities of GET /api/v2/mix/market/candles and of the <c>candle</c> channels
    /// (https://www.bitget.com/api-doc/contract/market/Get-Candle-Data: 1m, 3m, 5m, 15m, 30m, 1H, 4H, 6H, 12H, 1D, ...,
    /// "6Hutc (UTC 6 hour line) - 12Hutc (UTC 12 hour line) - 1Dutc (UTC 1-day line)"). The <c>utc</c> lines are cut at
    /// UTC boundaries; plain 6H, 12H and 1D at UTC+8 boundaries (Bitget's home time; JKorf/Bitget.Net
    /// BitgetFuturesKlineInterval.cs names only the utc ones "UTC 0").
    /// </summary>
    private static readonly Dictionary<string, string> Granularities = new(StringComparer.Ordinal)
    {
        ["1m"] = "1m", ["3m"] = "3m", ["5m"] = "5m", ["15m"] = "15m", ["30m"] = "30m", ["1H"] = "1h", ["4H"] = "4h",
        ["6H"] = "6h", ["12H"] = "12h", ["1D"] = "1d", ["6Hutc"] = "6h", ["12Hutc"] = "12h", ["1Dutc"] = "1d",
    };

    /// <summary>The granularities cut at UTC+8 rather than UTC.</summary>
    private static readonly HashSet<string> Utc8Granularities = new(StringComparer.Ordinal) { "6H", "12H", "1D" };

    private static readonly TimeSpan Utc8 = TimeSpan.FromHours(8);

    /// <summary>Open time of the UTC+8-cut candle of <paramref name="span"/> that holds <paramref name="time"/>.</summary>
    private static DateTimeOffset Utc8Open(DateTimeOffset time, TimeSpan span) => KlineInterval.Align(time + Utc8, span) - Utc8;

    private async Task<(int, string)> CandlesAsync(BitgetCall call)
    {
        var rules = await RulesOf(Required(call.Query, "symbol")).ConfigureAwait(false);
        var granularity = Required(call.Query, "granularity");
        if (!Granularities.TryGetValue(granularity, out var interval))
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: granularity");
        }

        var limit = call.Query.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 1000)
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: limit");
        }

        IReadOnlyList<Candle> candles;
        if (Utc8Granularities.Contains(granularity))
        {
            // Built from hourly candles, cut at UTC+8.
            var span = KlineInterval.ToTimeSpan(interval);
            var hours = (int)span.TotalHours;
            var hourly = await Engine.GetHistoricalKlinesAsync(rules.Symbol, "1h", Math.Min(1500, (limit + 1) * hours)).ConfigureAwait(false);
            candles = [.. hourly.GroupBy(c => Utc8Open(c.OpenTime, span)).OrderBy(g => g.Key).Select(g => new Candle
            {
                Symbol = rules.Symbol,
                Interval = interval,
                OpenTime = g.Key,
                Open = g.First().Open,
                High = g.Max(c => c.High),
                Low = g.Min(c => c.Low),
                Close = g.Last().Close,
                Volume = g.Sum(c => c.Volume),
                QuoteVolume = g.Sum(c => c.QuoteVolume),
            }).TakeLast(limit)];
        }
        else
        {
            candles = await Engine.GetHistoricalKlinesAsync(rules.Symbol, interval, limit).ConfigureAwait(false);
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var c in candles)
            {
                WriteCandle(w, c, push: false);
            }

            w.WriteEndArray();
        }));
    }

    private static void WriteCandle(Utf8JsonWriter w, Candle c, bool push)
    {
        w.WriteStartArray();
        w.WriteStringValue(c.OpenTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteStringValue(D(c.Open));
        w.WriteStringValue(D(c.High));
        w.WriteStringValue(D(c.Low));
        w.WriteStringValue(D(c.Close));
        w.WriteStringValue(D(c.Volume));
        w.WriteStringValue(D(c.QuoteVolume));
        if (push)
        {
            w.WriteStringValue(D(c.QuoteVolume));
        }

        w.WriteEndArray();
    }

    private async Task<(int, string)> FundingTimeAsync(BitgetCall call)
    {
        var rules = await RulesOf(Required(call.Query, "symbol")).ConfigureAwait(false);
        var funding = await Engine.GetFundingRateAsync(rules.Symbol).ConfigureAwait(false);
        return (200, $"[{{\"symbol\":\"{rules.Symbol}\",\"nextFundingTime\":\"{funding.NextFundingTime.ToUnixTimeMilliseconds()}\",\"ratePeriod\":\"8\"}}]");
    }

    private async Task<(int, string)> FundingHistoryAsync(BitgetCall call)
    {
        var rules = await RulesOf(Required(call.Query, "symbol")).ConfigureAwait(false);
        var size = call.Query.TryGetValue("pageSize", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 20;
        var history = await Engine.GetHistoricalFundingRatesAsync(rules.Symbol, size).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var f in history.OrderByDescending(f => f.Timestamp))
            {
                w.WriteStartObject();
                w.WriteString("symbol", f.Symbol);
                w.WriteString("fundingRate", D(f.Rate));
                w.WriteString("fundingTime", f.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<OrderRequest> ValidateOrderAsync(string symbol, JsonElement o)
    {
        var rules = await RulesOf(symbol).ConfigureAwait(false);
        var hasTradeSide = o.TryGetProperty("tradeSide", out _);
        if (HedgeMode != hasTradeSide)
        {
            throw new BitgetSimError(400, Wire.HedgeModeOrder, "The order type for unilateral position must also be the unilateral position type.");
        }

        var side = Required(o, "side") switch
        {
            "buy" => OrderSide.Buy,
            "sell" => OrderSide.Sell,
            _ => throw new BitgetSimError(400, "40017", "Parameter verification failed: side"),
        };
        if (!decimal.TryParse(Required(o, "size"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var size) || size <= 0)
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: size");
        }

        if (!rules.IsOnStep(size))
        {
            throw new BitgetSimError(400, Wire.Precision, $"Parameter verification exception size checkBDScale error value={D(size)} checkScale={Places(rules.StepSize)}");
        }

        if (size < rules.MinQuantity)
        {
            throw new BitgetSimError(400, "45111", $"less than the minimum order quantity {D(rules.MinQuantity)}");
        }

        var type = Required(o, "orderType") switch
        {
            "limit" => OrderType.Limit,
            "market" => OrderType.Market,
            _ => throw new BitgetSimError(400, "40017", "Parameter verification failed: orderType"),
        };
        decimal? price = null;
        var tif = TimeInForce.Gtc;
        if (type == OrderType.Limit)
        {
            if (!decimal.TryParse(Required(o, "price"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var p) || p <= 0)
            {
                throw new BitgetSimError(400, "40706", "Wrong order price");
            }

            if (!rules.IsOnTick(p))
            {
                throw new BitgetSimError(400, Wire.Precision, $"Parameter verification exception price checkBDScale error value={D(p)} checkScale={Places(rules.TickSize)}");
            }

            price = p;
            tif = (o.TryGetProperty("force", out var f) ? f.GetString() : "gtc") switch
            {
                "gtc" => TimeInForce.Gtc,
                "ioc" => TimeInForce.Ioc,
                "fok" => TimeInForce.Fok,
                "post_only" => TimeInForce.Gtx,
                var other => throw new BitgetSimError(400, "40017", $"Parameter verification failed: force {other}"),
            };
        }

        string? clientOid = null;
        if (o.TryGetProperty("clientOid", out var c))
        {
            clientOid = c.GetString() ?? "";
            if (clientOid.Length is 0 or > 50 || clientOid.Any(ch => ch > 127))
            {
                throw new BitgetSimError(400, "40305", "Client_oid length is not greater than 50, and cannot be Martian characters");
            }
        }

        var reduceOnly = (o.TryGetProperty("reduceOnly", out var r) ? r.GetString() : "NO") switch
        {
            "YES" => true,
            "NO" => false,
            _ => throw new BitgetSimError(400, "40017", "Parameter verification failed: reduceOnly"),
        };
        var reference = price ?? await Engine.GetLatestPriceAsync(symbol).ConfigureAwait(false);
        if (!reduceOnly && rules.MinNotional > 0 && reference * size < rules.MinNotional)
        {
            throw new BitgetSimError(400, Wire.MinNotional, $"less than the minimum amount {D(rules.MinNotional)} USDT");
        }

        return new OrderRequest
        {
            Symbol = symbol,
            Side = side,
            Type = type,
            TimeInForce = tif,
            Quantity = size,
            Price = price,
            ReduceOnly = reduceOnly,
            ClientOrderId = clientOid,
        };
    }

    /// <summary>
    /// The contract's margin mode for this account (Get-Single-Account "marginMode": crossed or isolated); crossed until
    /// a test or an order sets it.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> MarginModes { get; } = new(StringComparer.Ordinal);

    public string MarginModeOf(string symbol) => MarginModes.GetOrAdd(symbol, "crossed");

    /// <summary>
    /// marginCoin must be USDT and marginMode crossed or isolated (https://www.bitget.com/api-doc/contract/trade/Place-Order).
    /// An order carries the margin mode it opens under (ccxt/ccxt#21435: "the reliable way to get isolated margin is to
    /// set it per order"): while the contract is flat with no open order, an order in the other mode switches the
    /// contract to it; while a position or an order exists, it is refused with 45117 "Currently holding positions or
    /// orders, the margin mode cannot be adjusted" (CryptoRobotFr/Live-Tools-V2#2) (R: code seen on set-margin-mode).
    /// </summary>
    private async Task CheckMarginAsync(JsonElement body, string symbol)
    {
        if (Required(body, "marginCoin") != Wire.MarginCoin)
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: marginCoin must be USDT");
        }

        var mode = body.TryGetProperty("marginMode", out var m) ? m.GetString() : null;
        if (mode is not ("crossed" or "isolated"))
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: marginMode");
        }

        if (mode == MarginModeOf(symbol) || !KnownSymbols.Contains(symbol))
        {
            return;
        }

        var busy = (await Engine.GetPositionsAsync(symbol).ConfigureAwait(false)).Any(p => p.Size != 0)
            || (await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false)).Count > 0;
        if (busy)
        {
            throw new BitgetSimError(400, Wire.MarginModeLocked, "Currently holding positions or orders, the margin mode cannot be adjusted");
        }

        MarginModes[symbol] = mode;
    }

    private async Task<(int, string)> AccountAsync(BitgetCall call)
    {
        var symbol = Required(call.Query, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        if (!string.Equals(Required(call.Query, "marginCoin"), Wire.MarginCoin, StringComparison.OrdinalIgnoreCase))
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: marginCoin");
        }

        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("marginCoin", "USDT");
            w.WriteString("locked", "0");
            w.WriteString("available", D(account.AvailableBalance));
            w.WriteString("crossedMaxAvailable", D(account.AvailableBalance));
            w.WriteString("isolatedMaxAvailable", D(account.AvailableBalance));
            w.WriteString("maxTransferOut", D(account.AvailableBalance));
            w.WriteString("accountEquity", D(account.MarginBalance));
            w.WriteString("usdtEquity", D(account.MarginBalance));
            w.WriteString("crossedRiskRate", "0");
            w.WriteNumber("crossedMarginLeverage", 10);
            w.WriteNumber("isolatedLongLever", 10);
            w.WriteNumber("isolatedShortLever", 10);
            w.WriteString("marginMode", MarginModeOf(symbol));
            w.WriteString("posMode", HedgeMode ? "hedge_mode" : "one_way_mode");
            w.WriteString("unrealizedPL", D(account.UnrealizedPnl));
            w.WriteString("assetMode", "single");
            w.WriteEndObject();
        }));
    }

    private async Task<Order> PlaceOneAsync(string symbol, JsonElement o)
    {
        var request = await ValidateOrderAsync(symbol, o).ConfigureAwait(false);
        try
        {
            return await Engine.PlaceOrderAsync(request).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.PostOnlyRejected)
        {
            // Bitget takes the post-only order and cancels it at once; it is visible as cancelled.
            var now = Clock.GetUtcNow();
            var id = Interlocked.Increment(ref _postOnlyIds).ToString(CultureInfo.InvariantCulture);
            var cancelled = new Order
            {
                ExchangeOrderId = id,
                ClientOrderId = request.ClientOrderId,
                Symbol = symbol,
                Side = request.Side,
                Type = request.Type,
                TimeInForce = TimeInForce.Gtx,
                Price = request.Price ?? 0,
                Quantity = request.Quantity,
                Status = OrderStatus.Canceled,
                PostOnly = true,
                CreatedAt = now,
                UpdatedAt = now,
            };
            _cancelledPostOnly[id] = cancelled;
            if (request.ClientOrderId is { } cid)
            {
                _cancelledPostOnly["c:" + cid] = cancelled;
            }

            await SendOrderPushAsync(OrderUpdate.From(cancelled, Wire.Venue)).ConfigureAwait(false);
            return cancelled;
        }
        catch (ExchangeException ex)
        {
            throw ex.Kind switch
            {
                ExchangeErrorKind.AlreadyExists => new BitgetSimError(400, Wire.DuplicateClientOid, "Duplicate clientOid"),
                ExchangeErrorKind.ReduceOnlyRejected => new BitgetSimError(400, Wire.NoPositionToClose, "No position to close"),
                ExchangeErrorKind.InsufficientMargin => new BitgetSimError(400, "43012", "Insufficient balance"),
                ExchangeErrorKind.InvalidArgument => new BitgetSimError(400, "40017", ex.Message),
                _ => new BitgetSimError(500, "40015", ex.Message),
            };
        }
    }

    private static string Ack(Order order) =>
        $"{{\"orderId\":\"{order.ExchangeOrderId}\",\"clientOid\":{(order.ClientOrderId is null ? "null" : JsonSerializer.Serialize(order.ClientOrderId))}}}";

    private async Task<(int, string)> PlaceAsync(BitgetCall call)
    {
        await CheckMarginAsync(call.Body, Required(call.Body, "symbol")).ConfigureAwait(false);
        var order = await PlaceOneAsync(Required(call.Body, "symbol"), call.Body).ConfigureAwait(false);
        if (Faults.OrderAckDelay > TimeSpan.Zero)
        {
            await Task.Delay(Faults.OrderAckDelay).ConfigureAwait(false);
        }

        if (Faults.TakeFailAfterAccept())
        {
            return (502, "<html>502 Bad Gateway</html>");
        }

        return (200, Ack(order));
    }

    private async Task<(int, string)> BatchPlaceAsync(BitgetCall call)
    {
        var symbol = Required(call.Body, "symbol");
        await CheckMarginAsync(call.Body, symbol).ConfigureAwait(false);
        await RulesOf(symbol).ConfigureAwait(false);
        if (!call.Body.TryGetProperty("orderList", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > 20)
        {
            throw new BitgetSimError(400, "40306", "Batch processing orders can only process up to 20");
        }

        if (!Faults.AdmitBatchCall(list.GetArrayLength()))
        {
            // batch-place-order is limited per call (5/s per UID, https://www.bitget.com/api-doc/contract/trade/Batch-Order),
            // not per order: a call over the limit is refused whole with HTTP 429 and nothing is placed.
            throw new BitgetSimError(429, "429", "Too Many Requests");
        }

        var ok = new List<string>();
        var failed = new List<string>();
        foreach (var item in list.EnumerateArray())
        {
            var cid = item.TryGetProperty("clientOid", out var c) ? c.GetString() : null;
            try
            {
                ok.Add(Ack(await PlaceOneAsync(symbol, item).ConfigureAwait(false)));
            }
            catch (BitgetSimError error)
            {
                failed.Add($"{{\"orderId\":\"\",\"clientOid\":{(cid is null ? "null" : JsonSerializer.Serialize(cid))},\"errorMsg\":{JsonSerializer.Serialize(error.Message)},\"errorCode\":\"{error.Code}\"}}");
            }
        }

        return (200, $"{{\"successList\":[{string.Join(',', ok)}],\"failureList\":[{string.Join(',', failed)}]}}");
    }

    private async Task<Order> FindAsync(string symbol, string? orderId, string? clientOid)
    {
        if (orderId is null && clientOid is null)
        {
            throw new BitgetSimError(400, "40020", "Parameter orderId error");
        }

        if (_cancelledPostOnly.TryGetValue(orderId ?? "c:" + clientOid, out var refused) && refused.Symbol == symbol)
        {
            return refused;
        }

        try
        {
            return await Engine.GetOrderAsync(symbol, orderId is not null ? OrderRef.ByExchangeId(orderId) : OrderRef.ByClientId(clientOid!)).ConfigureAwait(false);
        }
        catch (ExchangeException)
        {
            throw new BitgetSimError(400, Wire.OrderDoesNotExist, "Order does not exist");
        }
    }

    private async Task<Order> CancelOneAsync(string symbol, string? orderId, string? clientOid)
    {
        var order = await FindAsync(symbol, orderId, clientOid).ConfigureAwait(false);
        if (!order.Status.IsOpen())
        {
            throw new BitgetSimError(400, Wire.OrderDoesNotExist, "Order does not exist");
        }

        await Engine.CancelOrderAsync(symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
        return order;
    }

    private static string? Optional(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } text ? text : null;

    private async Task<(int, string)> CancelAsync(BitgetCall call)
    {
        var symbol = Required(call.Body, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var order = await CancelOneAsync(symbol, Optional(call.Body, "orderId"), Optional(call.Body, "clientOid")).ConfigureAwait(false);
        return (200, Ack(order));
    }

    private async Task<(int, string)> BatchCancelAsync(BitgetCall call)
    {
        var symbol = Required(call.Body, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var targets = new List<(string? OrderId, string? ClientOid)>();
        if (call.Body.TryGetProperty("orderIdList", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            if (list.GetArrayLength() > 20)
            {
                throw new BitgetSimError(400, "40306", "Batch processing orders can only process up to 20");
            }

            targets.AddRange(list.EnumerateArray().Select(e => (Optional(e, "orderId"), Optional(e, "clientOid"))));
        }
        else
        {
            // Without an id list every open order of the symbol is cancelled.
            targets.AddRange((await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false)).Select(o => ((string?)o.ExchangeOrderId, (string?)null)));
        }

        var ok = new List<string>();
        var failed = new List<string>();
        foreach (var (orderId, clientOid) in targets)
        {
            try
            {
                ok.Add(Ack(await CancelOneAsync(symbol, orderId, clientOid).ConfigureAwait(false)));
            }
            catch (BitgetSimError error) when (OmitOrderIdOfFailedCancels)
            {
                string? known;
                try
                {
                    known = clientOid ?? (await FindAsync(symbol, orderId, null).ConfigureAwait(false)).ClientOrderId;
                }
                catch (BitgetSimError)
                {
                    known = null;
                }

                failed.Add($"{{\"clientOid\":{(known is null ? "null" : JsonSerializer.Serialize(known))},\"errorMsg\":{JsonSerializer.Serialize(error.Message)},\"errorCode\":\"{error.Code}\"}}");
            }
            catch (BitgetSimError error)
            {
                failed.Add($"{{\"orderId\":\"{orderId}\",\"clientOid\":{(clientOid is null ? "null" : JsonSerializer.Serialize(clientOid))},\"errorMsg\":{JsonSerializer.Serialize(error.Message)},\"errorCode\":\"{error.Code}\"}}");
            }
        }

        return (200, $"{{\"successList\":[{string.Join(',', ok)}],\"failureList\":[{string.Join(',', failed)}]}}");
    }

    private async Task<(int, string)> DetailAsync(BitgetCall call)
    {
        var symbol = Required(call.Query, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var order = await FindAsync(symbol, call.Query.GetValueOrDefault("orderId"), call.Query.GetValueOrDefault("clientOid")).ConfigureAwait(false);
        return (200, Json(w => WriteOrder(w, order, "state")));
    }

    private async Task<(int, string)> PendingAsync(BitgetCall call)
    {
        var symbol = call.Query.GetValueOrDefault("symbol");
        if (symbol is not null)
        {
            await RulesOf(symbol).ConfigureAwait(false);
        }

        // Newest first, at most `limit` (default and maximum 100) a page; idLessThan = the previous page's endId asks for
        // the older ones (https://www.bitget.com/api-doc/contract/trade/Get-Orders-Pending).
        var limit = call.Query.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 100)
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: limit");
        }

        IEnumerable<Order> all = (await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false)).OrderByDescending(o => long.Parse(o.ExchangeOrderId, CultureInfo.InvariantCulture));
        if (call.Query.TryGetValue("idLessThan", out var before) && before.Length > 0)
        {
            var cursor = long.Parse(before, CultureInfo.InvariantCulture);
            all = all.Where(o => long.Parse(o.ExchangeOrderId, CultureInfo.InvariantCulture) < cursor);
        }

        var orders = all.Take(limit).ToList();
        if (orders.Count == 0)
        {
            // Bitget answers an empty page with a null list.
            return (200, "{\"entrustedList\":null,\"endId\":null}");
        }

        return (200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("entrustedList");
            foreach (var order in orders)
            {
                WriteOrder(w, order, "status");
            }

            w.WriteEndArray();
            w.WriteString("endId", orders[^1].ExchangeOrderId);
            w.WriteEndObject();
        }));
    }

    private string StatusOf(Order order) => StatusOf(order.ClientOrderId, order.Status);

    /// <summary>
    /// The wire status; <see cref="Faults.ReportUnknownValue"/> puts a value Bitget
    /// may add later (its documented ones: live, partially_filled, filled, canceled;
    /// https://www.bitget.com/api-doc/contract/trade/Get-Order-Details) in its place.
    /// </summary>
    private string StatusOf(string? clientOrderId, OrderStatus status) =>
        Faults.ReportsUnknown(clientOrderId, OrderField.Status) ? UnknownStatus
        : StatusText(status);

    /// <summary>The wire time in force (force: gtc, ioc, fok, post_only on Bitget's order pages) or one Bitget may add.</summary>
    private string ForceOf(string? clientOrderId, bool postOnly, TimeInForce tif) =>
        Faults.ReportsUnknown(clientOrderId, OrderField.TimeInForce) ? UnknownForce : Wire.Force(postOnly ? TimeInForce.Gtx : tif);

    /// <summary>The wire order type (limit, market) or one Bitget may add.</summary>
    private string OrderTypeOf(string? clientOrderId, OrderType type) =>
        Faults.ReportsUnknown(clientOrderId, OrderField.OrderType) ? UnknownOrderType : type == OrderType.Market ? "market" : "limit";

    public const string UnknownStatus = "pending_review";

    public const string UnknownForce = "gtd";

    public const string UnknownOrderType = "twap";

    private static string StatusText(OrderStatus status) => status switch
    {
        OrderStatus.New => "live",
        OrderStatus.PartiallyFilled => "partially_filled",
        OrderStatus.Filled => "filled",
        _ => "canceled",
    };

    private void WriteOrder(Utf8JsonWriter w, Order order, string statusField)
    {
        w.WriteStartObject();
        w.WriteString("symbol", order.Symbol);
        w.WriteString("size", D(order.Quantity));
        w.WriteString("orderId", order.ExchangeOrderId);
        w.WriteString("clientOid", order.ClientOrderId ?? "");
        w.WriteString("baseVolume", D(order.FilledQuantity));
        w.WriteString("fee", D(-order.Fills.Sum(f => f.Fee)));
        w.WriteString("price", order.Type == OrderType.Market ? "" : D(order.Price));
        w.WriteString("priceAvg", order.FilledQuantity > 0 ? D(order.AveragePrice) : "");
        w.WriteString(statusField, StatusOf(order));
        w.WriteString("side", order.Side == OrderSide.Buy ? "buy" : "sell");
        w.WriteString("force", ForceOf(order.ClientOrderId, order.PostOnly, order.TimeInForce));
        w.WriteString("orderType", OrderTypeOf(order.ClientOrderId, order.Type));
        w.WriteString("posSide", "net");
        w.WriteString("marginCoin", "USDT");
        w.WriteString("marginMode", MarginModeOf(order.Symbol));
        w.WriteString("reduceOnly", order.ReduceOnly ? "YES" : "NO");
        w.WriteString("tradeSide", order.Side == OrderSide.Buy ? "buy_single" : "sell_single");
        w.WriteString("posMode", "one_way_mode");
        w.WriteString("leverage", "10");
        w.WriteString("cTime", order.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("uTime", order.UpdatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private async Task<(int, string)> AccountsAsync()
    {
        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("marginCoin", "USDT");
            w.WriteString("locked", "0");
            w.WriteString("available", D(account.AvailableBalance));
            w.WriteString("crossedMaxAvailable", D(account.AvailableBalance));
            w.WriteString("maxTransferOut", D(account.AvailableBalance));
            w.WriteString("accountEquity", D(account.MarginBalance));
            w.WriteString("usdtEquity", D(account.MarginBalance));
            w.WriteString("unrealizedPL", D(account.UnrealizedPnl));
            w.WriteString("crossedRiskRate", "0");
            w.WriteEndObject();
            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> PositionsAsync(string? symbol)
    {
        if (symbol is not null)
        {
            await RulesOf(symbol).ConfigureAwait(false);
        }

        var positions = (await Engine.GetPositionsAsync(symbol).ConfigureAwait(false)).Where(p => p.Size != 0).ToList();
        if (symbol is null)
        {
            positions.AddRange(UnlistedPositions.Select(u => new Position { Symbol = u.Key, Size = u.Value, EntryPrice = 1m, MarkPrice = 1m, Leverage = 10, UpdateTime = Clock.GetUtcNow() }));
        }
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var p in positions)
            {
                WritePosition(w, p, push: false);
            }

            w.WriteEndArray();
        }));
    }

    /// <summary>Positions all-position also reports, on contracts the contracts list does not have (a delisted or unsupported one).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, decimal> UnlistedPositions { get; } = new(StringComparer.Ordinal);

    private void WritePosition(Utf8JsonWriter w, Position p, bool push)
    {
        w.WriteStartObject();
        w.WriteString(push ? "instId" : "symbol", p.Symbol);
        w.WriteString("marginCoin", "USDT");
        w.WriteString("holdSide", p.Size < 0 ? "short" : "long");
        w.WriteString("total", D(Math.Abs(p.Size)));
        w.WriteString("available", D(Math.Abs(p.Size)));
        w.WriteString("openPriceAvg", D(p.EntryPrice));
        w.WriteString("markPrice", D(p.MarkPrice));
        w.WriteString("unrealizedPL", D(p.UnrealizedPnl));
        w.WriteString("achievedProfits", D(p.RealizedPnl));
        if (push)
        {
            w.WriteNumber("leverage", p.Leverage);
        }
        else
        {
            w.WriteString("leverage", p.Leverage.ToString(CultureInfo.InvariantCulture));
        }

        w.WriteString("marginMode", MarginModeOf(p.Symbol));
        w.WriteString("posMode", "one_way_mode");
        w.WriteString("liquidationPrice", D(p.LiquidationPrice));
        w.WriteString("cTime", p.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("uTime", p.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
