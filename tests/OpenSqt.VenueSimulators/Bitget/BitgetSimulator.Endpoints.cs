using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.VenueSimulators.Bitget;

public sealed partial class BitgetSimulator
{
    private const string Mix = "/api/v2/mix";
    private readonly ConcurrentDictionary<string, Order> _cancelledPostOnly = new(StringComparer.Ordinal);
    private long _postOnlyIds = 9_000_000_000;

    private static Dictionary<string, int> Cost(string rule) => new(StringComparer.Ordinal) { [BitgetRateLimits.Ip] = 1, [rule] = 1 };

    private EndpointSpec? Endpoint(string method, string path)
    {
        var market = Cost(BitgetRateLimits.Market);
        var trade = Cost(BitgetRateLimits.Trade);
        var batch = Cost(BitgetRateLimits.Batch);
        var priv = Cost(BitgetRateLimits.Private);
        return (method, path) switch
        {
            ("GET", "/api/v2/public/time") => new(false, false, market, _ => Ok($"{{\"serverTime\":\"{Clock.NowMilliseconds}\"}}")),
            ("GET", Mix + "/market/contracts") => new(false, true, market, ContractsAsync),
            ("GET", Mix + "/market/ticker") => new(false, true, market, call => TickersAsync(Required(call.Query, "symbol"))),
            ("GET", Mix + "/market/tickers") => new(false, true, market, _ => TickersAsync(null)),
            ("GET", Mix + "/market/candles") => new(false, true, market, CandlesAsync),
            ("GET", Mix + "/market/funding-time") => new(false, true, market, FundingTimeAsync),
            ("GET", Mix + "/market/history-fund-rate") => new(false, true, market, FundingHistoryAsync),
            ("POST", Mix + "/order/place-order") => new(true, true, trade, PlaceAsync),
            ("POST", Mix + "/order/batch-place-order") => new(true, true, batch, BatchPlaceAsync),
            ("POST", Mix + "/order/cancel-order") => new(true, true, trade, CancelAsync),
            ("POST", Mix + "/order/batch-cancel-orders") => new(true, true, batch, BatchCancelAsync),
            ("GET", Mix + "/order/detail") => new(true, true, trade, DetailAsync),
            ("GET", Mix + "/order/orders-pending") => new(true, true, priv, PendingAsync),
            ("GET", Mix + "/account/accounts") => new(true, true, priv, _ => AccountsAsync()),
            ("GET", Mix + "/position/all-position") => new(true, true, priv, _ => PositionsAsync(null)),
            ("GET", Mix + "/position/single-position") => new(true, true, priv, call => PositionsAsync(Required(call.Query, "symbol"))),
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

    private static string D(decimal value) => VenueJson.Format(value);

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

    private static readonly Dictionary<string, string> Granularities = new(StringComparer.Ordinal)
    {
        ["1m"] = "1m", ["3m"] = "3m", ["5m"] = "5m", ["15m"] = "15m", ["30m"] = "30m", ["1H"] = "1h", ["2H"] = "2h", ["4H"] = "4h", ["6H"] = "6h", ["12H"] = "12h", ["1D"] = "1d",
    };

    private async Task<(int, string)> CandlesAsync(BitgetCall call)
    {
        var rules = await RulesOf(Required(call.Query, "symbol")).ConfigureAwait(false);
        if (!Granularities.TryGetValue(Required(call.Query, "granularity"), out var interval))
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: granularity");
        }

        var limit = call.Query.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 1000)
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: limit");
        }

        var candles = await Engine.GetHistoricalKlinesAsync(rules.Symbol, interval, limit).ConfigureAwait(false);
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
            throw new BitgetSimError(400, BitgetErrors.HedgeModeOrder, "The order type for unilateral position must also be the unilateral position type.");
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
            throw new BitgetSimError(400, BitgetErrors.Precision, $"Parameter verification exception size checkBDScale error value={D(size)} checkScale={Places(rules.StepSize)}");
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
                throw new BitgetSimError(400, BitgetErrors.Precision, $"Parameter verification exception price checkBDScale error value={D(p)} checkScale={Places(rules.TickSize)}");
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
            throw new BitgetSimError(400, BitgetErrors.MinNotional, $"less than the minimum amount {D(rules.MinNotional)} USDT");
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

    private void CheckMargin(JsonElement body)
    {
        if (Required(body, "marginCoin") != BitgetParsers.MarginCoin)
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: marginCoin must be USDT");
        }

        if (body.TryGetProperty("marginMode", out var mode) && mode.GetString() is not ("crossed" or "isolated"))
        {
            throw new BitgetSimError(400, "40017", "Parameter verification failed: marginMode");
        }
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

            await SendOrderPushAsync(OrderUpdate.From(cancelled, BitgetParsers.Venue)).ConfigureAwait(false);
            return cancelled;
        }
        catch (ExchangeException ex)
        {
            throw ex.Kind switch
            {
                ExchangeErrorKind.AlreadyExists => new BitgetSimError(400, BitgetErrors.DuplicateClientOid, "Duplicate clientOid"),
                ExchangeErrorKind.ReduceOnlyRejected => new BitgetSimError(400, BitgetErrors.NoPositionToClose, "No position to close"),
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
        CheckMargin(call.Body);
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
        CheckMargin(call.Body);
        var symbol = Required(call.Body, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        if (!call.Body.TryGetProperty("orderList", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() is 0 or > 20)
        {
            throw new BitgetSimError(400, "40306", "Batch processing orders can only process up to 20");
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
            throw new BitgetSimError(400, BitgetErrors.OrderDoesNotExist, "Order does not exist");
        }
    }

    private async Task<Order> CancelOneAsync(string symbol, string? orderId, string? clientOid)
    {
        var order = await FindAsync(symbol, orderId, clientOid).ConfigureAwait(false);
        if (!order.Status.IsOpen())
        {
            throw new BitgetSimError(400, BitgetErrors.OrderDoesNotExist, "Order does not exist");
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

        var orders = await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false);
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

    private static string StatusText(OrderStatus status) => status switch
    {
        OrderStatus.New => "live",
        OrderStatus.PartiallyFilled => "partially_filled",
        OrderStatus.Filled => "filled",
        _ => "canceled",
    };

    private static void WriteOrder(Utf8JsonWriter w, Order order, string statusField)
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
        w.WriteString(statusField, StatusText(order.Status));
        w.WriteString("side", order.Side == OrderSide.Buy ? "buy" : "sell");
        w.WriteString("force", BitgetParsers.FormatForce(order.PostOnly ? TimeInForce.Gtx : order.TimeInForce));
        w.WriteString("orderType", order.Type == OrderType.Market ? "market" : "limit");
        w.WriteString("posSide", "net");
        w.WriteString("marginCoin", "USDT");
        w.WriteString("marginMode", "crossed");
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

    private static void WritePosition(Utf8JsonWriter w, Position p, bool push)
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

        w.WriteString("marginMode", "crossed");
        w.WriteString("posMode", "one_way_mode");
        w.WriteString("liquidationPrice", D(p.LiquidationPrice));
        w.WriteString("cTime", p.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("uTime", p.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
