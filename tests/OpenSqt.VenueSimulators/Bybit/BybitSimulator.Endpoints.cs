using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bybit;

public sealed partial class BybitSimulator
{
    // Per-UID budgets per second (https://bybit-exchange.github.io/docs/v5/rate-limit, UTA2.0 Pro, linear).
    private const int OrderEntryPerSecond = 10;
    private const int ReadsPerSecond = 50;

    private EndpointSpec? Endpoint(string method, string path) => (method, path) switch
    {
        ("GET", "/v5/market/time") => new(false, false, 0, false, (_, _, _) => Result(w =>
        {
            var now = Clock.GetUtcNow();
            w.WriteStartObject();
            w.WriteString("timeSecond", now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            w.WriteString("timeNano", (now.ToUnixTimeMilliseconds() * 1_000_000L).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        })),
        ("GET", "/v5/market/instruments-info") => new(false, true, 0, false, (p, _, _) => InstrumentsAsync(p)),
        ("GET", "/v5/market/tickers") => new(false, true, 0, false, (p, _, _) => TickersAsync(p)),
        ("GET", "/v5/market/kline") => new(false, true, 0, false, (p, _, _) => KlinesAsync(p)),
        ("GET", "/v5/market/funding/history") => new(false, true, 0, false, (p, _, _) => FundingHistoryAsync(p)),
        ("POST", "/v5/order/create") => new(true, true, OrderEntryPerSecond, false, (p, _, _) => CreateAsync(p)),
        ("POST", "/v5/order/create-batch") => new(true, true, OrderEntryPerSecond, true, (_, j, granted) => CreateBatchAsync(j, granted)),
        ("POST", "/v5/order/cancel") => new(true, true, OrderEntryPerSecond, false, (p, _, _) => CancelAsync(p)),
        ("POST", "/v5/order/cancel-batch") => new(true, true, OrderEntryPerSecond, true, (_, j, granted) => CancelBatchAsync(j, granted)),
        ("POST", "/v5/order/cancel-all") => new(true, true, OrderEntryPerSecond, false, (p, _, _) => CancelAllAsync(p)),
        ("GET", "/v5/order/realtime") => new(true, true, ReadsPerSecond, false, (p, _, _) => OrdersQueryAsync(p, history: false)),
        ("GET", "/v5/order/history") => new(true, true, ReadsPerSecond, false, (p, _, _) => OrdersQueryAsync(p, history: true)),
        ("GET", "/v5/position/list") => new(true, true, ReadsPerSecond, false, (p, _, _) => PositionsAsync(p)),
        ("GET", "/v5/account/wallet-balance") => new(true, false, ReadsPerSecond, false, (p, _, _) => WalletAsync(p)),
        ("GET", "/v5/account/info") => new(true, false, ReadsPerSecond, false, (_, _, _) => AccountInfoAsync()),
        ("POST", "/v5/order/disconnected-cancel-all") => new(true, false, DcpPerSecond, false, (p, _, _) => SetDcpAsync(p)),
        ("GET", "/v5/account/query-dcp-info") => new(true, false, DcpPerSecond, false, (_, _, _) => DcpInfoAsync()),
        _ => null,
    };

    private static Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> Result(Action<Utf8JsonWriter> result, Action<Utf8JsonWriter>? ext = null) =>
        Task.FromResult<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)>((result, ext, 200));

    private static string Required(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new BybitSimError("10001", $"params error: {name} is required");

    private async Task<SymbolRules> RulesOf(string symbol)
    {
        try
        {
            return await Engine.GetSymbolInfoAsync(symbol).ConfigureAwait(false);
        }
        catch (ExchangeException)
        {
            throw new BybitSimError("10001", "params error: symbol invalid");
        }
    }

    private static Action<Utf8JsonWriter> ListOf<T>(IEnumerable<T> items, Action<Utf8JsonWriter, T> write, string? category = "linear", string nextPageCursor = "") => w =>
    {
        w.WriteStartObject();
        if (category is not null)
        {
            w.WriteString("category", category);
        }

        w.WriteStartArray("list");
        foreach (var item in items)
        {
            write(w, item);
        }

        w.WriteEndArray();
        w.WriteString("nextPageCursor", nextPageCursor);
        w.WriteEndObject();
    };

    /// <summary>
    /// One page of a cursor-paged list (https://bybit-exchange.github.io/docs/v5/order/open-order and
    /// .../position: <c>limit</c> per page with a default of 20 and a maximum of 50 resp. 200, <c>cursor</c> taken from
    /// the previous answer's <c>nextPageCursor</c>, "" on the last page). The cursor is opaque to the client.
    /// </summary>
    private static (List<T> Page, string Next) Page<T>(List<T> items, Dictionary<string, string> p, int maxLimit)
    {
        var limit = 20;
        if (p.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
        {
            throw new BybitSimError("10001", $"params error: limit must be 1-{maxLimit}");
        }

        var offset = 0;
        if (p.TryGetValue("cursor", out var cursor) && cursor.Length > 0
            && (!cursor.StartsWith("page_args=", StringComparison.Ordinal) || !int.TryParse(cursor["page_args=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > items.Count))
        {
            throw new BybitSimError("10001", "params error: cursor invalid");
        }

        var page = items.Skip(offset).Take(limit).ToList();
        var next = offset + page.Count < items.Count ? "page_args=" + (offset + page.Count).ToString(CultureInfo.InvariantCulture) : "";
        return (page, next);
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> InstrumentsAsync(Dictionary<string, string> p)
    {
        var rules = await Engine.FetchExchangeInfoAsync(p.GetValueOrDefault("symbol")).ConfigureAwait(false);
        return await Result(ListOf(rules, (w, r) =>
        {
            w.WriteStartObject();
            w.WriteString("symbol", r.Symbol);
            w.WriteString("contractType", "LinearPerpetual");
            w.WriteString("status", "Trading");
            w.WriteString("baseCoin", r.BaseAsset);
            w.WriteString("quoteCoin", r.QuoteAsset);
            w.WriteString("settleCoin", r.QuoteAsset);
            w.WriteString("priceScale", r.PricePrecision.ToString(CultureInfo.InvariantCulture));
            w.WriteStartObject("priceFilter");
            w.WriteString("minPrice", D(r.TickSize));
            w.WriteString("maxPrice", "1999999.80");
            w.WriteString("tickSize", D(r.TickSize));
            w.WriteEndObject();
            w.WriteStartObject("lotSizeFilter");
            w.WriteString("maxOrderQty", D(r.MaxQuantity ?? 1_000_000m));
            w.WriteString("minOrderQty", D(r.MinQuantity));
            w.WriteString("qtyStep", D(r.StepSize));
            w.WriteString("postOnlyMaxOrderQty", D(r.MaxQuantity ?? 1_000_000m));
            w.WriteString("maxMktOrderQty", D(r.MaxQuantity ?? 1_000_000m));
            w.WriteString("minNotionalValue", D(r.MinNotional));
            w.WriteEndObject();
            w.WriteNumber("fundingInterval", 480);
            w.WriteEndObject();
        })).ConfigureAwait(false);
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> TickersAsync(Dictionary<string, string> p)
    {
        var symbol = p.GetValueOrDefault("symbol");
        if (symbol is not null)
        {
            await RulesOf(symbol).ConfigureAwait(false);
        }

        var tickers = (await Engine.GetTickersAsync().ConfigureAwait(false)).Where(t => symbol is null || t.Symbol == symbol).ToList();
        var funding = (await Engine.GetFundingRatesAsync().ConfigureAwait(false)).ToDictionary(f => f.Symbol, StringComparer.Ordinal);
        return await Result(ListOf(tickers, (w, t) =>
        {
            WriteTicker(w, t, funding.GetValueOrDefault(t.Symbol));
        })).ConfigureAwait(false);
    }

    internal static void WriteTicker(Utf8JsonWriter w, Ticker t, FundingRate? funding)
    {
        w.WriteStartObject();
        w.WriteString("symbol", t.Symbol);
        w.WriteString("lastPrice", D(t.LastPrice));
        w.WriteString("indexPrice", D(t.LastPrice));
        w.WriteString("markPrice", D(t.LastPrice));
        w.WriteString("prevPrice24h", D(t.LastPrice - t.PriceChange));
        w.WriteString("price24hPcnt", D(t.PriceChangePercent / 100m));
        w.WriteString("highPrice24h", D(t.LastPrice));
        w.WriteString("lowPrice24h", D(t.LastPrice));
        w.WriteString("openInterest", D(t.OpenInterest));
        w.WriteString("turnover24h", D(t.QuoteVolume));
        w.WriteString("volume24h", D(t.Volume));
        w.WriteString("fundingRate", D(funding?.Rate ?? 0m));
        w.WriteString("nextFundingTime", (funding?.NextFundingTime ?? DateTimeOffset.UnixEpoch).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("bid1Price", D(t.LastPrice));
        w.WriteString("ask1Price", D(t.LastPrice));
        w.WriteEndObject();
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> KlinesAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var interval = EngineInterval(Required(p, "interval")) ?? throw new BybitSimError("10001", "Invalid period!");

        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 200;
        if (limit is < 1 or > 1000)
        {
            throw new BybitSimError("10001", "params error: limit must be 1-1000");
        }

        var candles = (await Engine.GetHistoricalKlinesAsync(symbol, interval, limit).ConfigureAwait(false)).Reverse().ToList();
        return await Result(w =>
        {
            w.WriteStartObject();
            w.WriteString("category", "linear");
            w.WriteString("symbol", symbol);
            w.WriteStartArray("list");
            foreach (var c in candles)
            {
                w.WriteStartArray();
                w.WriteStringValue(c.OpenTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                w.WriteStringValue(D(c.Open));
                w.WriteStringValue(D(c.High));
                w.WriteStringValue(D(c.Low));
                w.WriteStringValue(D(c.Close));
                w.WriteStringValue(D(c.Volume));
                w.WriteStringValue(D(c.QuoteVolume));
                w.WriteEndArray();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> FundingHistoryAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 200;
        var history = (await Engine.GetHistoricalFundingRatesAsync(symbol, limit).ConfigureAwait(false)).Reverse();
        return await Result(ListOf(history, (w, f) =>
        {
            w.WriteStartObject();
            w.WriteString("symbol", f.Symbol);
            w.WriteString("fundingRate", D(f.Rate));
            w.WriteString("fundingRateTimestamp", f.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        })).ConfigureAwait(false);
    }

    private static decimal Number(Dictionary<string, string> p, string name) =>
        decimal.TryParse(Required(p, name), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new BybitSimError("10001", $"params error: {name} invalid");

    private async Task<OrderRequest> ValidateAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        var rules = await RulesOf(symbol).ConfigureAwait(false);
        var side = Required(p, "side") switch
        {
            "Buy" => OrderSide.Buy,
            "Sell" => OrderSide.Sell,
            _ => throw new BybitSimError("10001", "params error: side invalid"),
        };
        var type = Required(p, "orderType") switch
        {
            "Limit" => OrderType.Limit,
            "Market" => OrderType.Market,
            _ => throw new BybitSimError("10001", "params error: orderType invalid"),
        };
        if (p.GetValueOrDefault("positionIdx", "0") != "0")
        {
            throw new BybitSimError("10001", "position idx not match position mode");
        }

        var qty = Number(p, "qty");
        if (!rules.IsOnStep(qty))
        {
            throw new BybitSimError("10001", "Qty invalid: not a multiple of qtyStep");
        }

        if (qty < rules.MinQuantity || (rules.MaxQuantity is { } max && qty > max))
        {
            throw new BybitSimError("10001", "The number of contracts exceeds minimum limit allowed");
        }

        decimal? price = null;
        var tif = TimeInForce.Gtc;
        if (type == OrderType.Limit)
        {
            price = Number(p, "price");
            if (!rules.IsOnTick(price.Value))
            {
                throw new BybitSimError("10001", "Price invalid: not a multiple of tickSize");
            }

            tif = p.GetValueOrDefault("timeInForce", "GTC") switch
            {
                "GTC" => TimeInForce.Gtc,
                "IOC" => TimeInForce.Ioc,
                "FOK" => TimeInForce.Fok,
                "PostOnly" => TimeInForce.Gtx,
                _ => throw new BybitSimError("10001", "params error: timeInForce invalid"),
            };
        }

        var reduceOnly = p.GetValueOrDefault("reduceOnly") switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new BybitSimError("10001", "params error: reduceOnly must be a boolean"),
        };
        var reference = price ?? await Engine.GetLatestPriceAsync(symbol).ConfigureAwait(false);
        if (!reduceOnly && rules.MinNotional > 0 && reference * qty < rules.MinNotional)
        {
            throw new BybitSimError("110094", $"The order value is below the minimum of {D(rules.MinNotional)} USDT");
        }

        var linkId = p.GetValueOrDefault("orderLinkId");
        if (linkId is not null && !OrderLinkIdRule().IsMatch(linkId))
        {
            throw new BybitSimError("10001", "params error: orderLinkId invalid");
        }

        return new OrderRequest
        {
            Symbol = symbol,
            Side = side,
            Type = type,
            TimeInForce = tif,
            Quantity = qty,
            Price = price,
            ReduceOnly = reduceOnly,
            ClientOrderId = linkId,
        };
    }

    /// <summary>Places one order; a post-only order that would cross is accepted and at once Cancelled, as Bybit does.</summary>
    private async Task<Order> PlaceOneAsync(Dictionary<string, string> p)
    {
        var request = await ValidateAsync(p).ConfigureAwait(false);
        if (request.ClientOrderId is { } link)
        {
            lock (_gate)
            {
                if (_refused.Values.Any(o => o.ClientOrderId == link))
                {
                    throw new BybitSimError("110072", "OrderLinkedID is duplicate");
                }
            }
        }

        try
        {
            return await Engine.PlaceOrderAsync(request).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.PostOnlyRejected)
        {
            var now = Clock.GetUtcNow();
            var order = new Order
            {
                ExchangeOrderId = Guid.NewGuid().ToString(),
                ClientOrderId = request.ClientOrderId,
                Symbol = request.Symbol,
                Side = request.Side,
                Type = request.Type,
                TimeInForce = TimeInForce.Gtx,
                Price = request.Price ?? 0,
                Quantity = request.Quantity,
                Status = OrderStatus.Canceled,
                PostOnly = true,
                CreatedAt = now,
                UpdatedAt = now,
                // https://bybit-exchange.github.io/docs/v5/enum#rejectreason (also in the order-history response example).
                RejectReason = "EC_PostOnlyWillTakeLiquidity",
            };
            lock (_gate)
            {
                _refused[order.ExchangeOrderId] = order;
            }

            await SendPrivateAsync("order", w => WriteOrder(w, order)).ConfigureAwait(false);
            return order;
        }
        catch (ExchangeException ex)
        {
            throw ex.Kind switch
            {
                ExchangeErrorKind.AlreadyExists => new BybitSimError("110072", "OrderLinkedID is duplicate"),
                ExchangeErrorKind.ReduceOnlyRejected => new BybitSimError("110017", "Reduce-only rule not satisfied"),
                ExchangeErrorKind.InsufficientMargin => new BybitSimError("110007", "ab not enough for new order"),
                ExchangeErrorKind.InvalidArgument => new BybitSimError("10001", ex.Message),
                _ => new BybitSimError("10016", ex.Message),
            };
        }
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> CreateAsync(Dictionary<string, string> p)
    {
        var order = await PlaceOneAsync(p).ConfigureAwait(false);
        if (Faults.OrderAckDelay > TimeSpan.Zero)
        {
            await Task.Delay(Faults.OrderAckDelay).ConfigureAwait(false);
        }

        if (Faults.TakeFailAfterAccept())
        {
            return (null, null, 503);
        }

        return await Result(w => WriteIds(w, order)).ConfigureAwait(false);
    }

    private static void WriteIds(Utf8JsonWriter w, Order order)
    {
        w.WriteStartObject();
        w.WriteString("orderId", order.ExchangeOrderId);
        w.WriteString("orderLinkId", order.ClientOrderId ?? "");
        w.WriteEndObject();
    }

    private static IEnumerable<Dictionary<string, string>> Items(JsonElement json, string field = "request")
    {
        if (!json.TryGetProperty(field, out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() is 0 or > MaxBatch)
        {
            throw new BybitSimError("10001", $"params error: {field} must hold 1 to {MaxBatch} items");
        }

        return items.EnumerateArray().Select(i => i.EnumerateObject()
            .ToDictionary(f => f.Name, f => f.Value.ValueKind == JsonValueKind.String ? f.Value.GetString()! : f.Value.GetRawText(), StringComparer.Ordinal)).ToList();
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> CreateBatchAsync(JsonElement json, int granted)
    {
        var results = new List<(Order? Order, string Code, string Message, string Symbol)>();
        foreach (var (item, index) in Items(json).Select((item, index) => (item, index)))
        {
            if (index >= granted)
            {
                // Past the per-order allowance of this second: this item fails, the answer still succeeds.
                results.Add((null, "10006", "Too many visits!", item.GetValueOrDefault("symbol") ?? ""));
                continue;
            }

            try
            {
                results.Add((await PlaceOneAsync(item).ConfigureAwait(false), "0", "OK", item.GetValueOrDefault("symbol") ?? ""));
            }
            catch (BybitSimError error)
            {
                results.Add((null, error.Code, error.Message, ""));
            }
        }

        return await Result(
            ListOf(results, (w, r) =>
            {
                w.WriteStartObject();
                w.WriteString("category", r.Order is null ? "" : "linear");
                w.WriteString("symbol", r.Symbol);
                w.WriteString("orderId", r.Order?.ExchangeOrderId ?? "");
                w.WriteString("orderLinkId", r.Order?.ClientOrderId ?? "");
                w.WriteString("createAt", r.Order is null ? "" : r.Order.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }, category: null),
            ListOf(results, (w, r) =>
            {
                w.WriteStartObject();
                w.WriteNumber("code", int.Parse(r.Code, CultureInfo.InvariantCulture));
                w.WriteString("msg", r.Message);
                w.WriteEndObject();
            }, category: null)).ConfigureAwait(false);
    }

    private async Task<Order?> FindAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        OrderRef reference;
        if (p.TryGetValue("orderId", out var id) && id.Length > 0)
        {
            reference = OrderRef.ByExchangeId(id);
            lock (_gate)
            {
                if (_refused.TryGetValue(id, out var refused))
                {
                    return refused;
                }
            }
        }
        else if (p.TryGetValue("orderLinkId", out var link) && link.Length > 0)
        {
            reference = OrderRef.ByClientId(link);
            lock (_gate)
            {
                if (_refused.Values.FirstOrDefault(o => o.ClientOrderId == link) is { } refused)
                {
                    return refused;
                }
            }
        }
        else
        {
            return null;
        }

        try
        {
            return await Engine.GetOrderAsync(symbol, reference).ConfigureAwait(false);
        }
        catch (ExchangeException)
        {
            throw new BybitSimError("110001", "Order does not exist.");
        }
    }

    private async Task<Order> CancelOneAsync(Dictionary<string, string> p)
    {
        var order = await FindAsync(p).ConfigureAwait(false) ?? throw new BybitSimError("10001", "params error: orderId or orderLinkId is required");
        if (!order.Status.IsOpen())
        {
            throw new BybitSimError("110001", "Order does not exist.");
        }

        await Engine.CancelOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
        return order;
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> CancelAsync(Dictionary<string, string> p)
    {
        var order = await CancelOneAsync(p).ConfigureAwait(false);
        return await Result(w => WriteIds(w, order)).ConfigureAwait(false);
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> CancelBatchAsync(JsonElement json, int granted)
    {
        var results = new List<(Order? Order, string Code, string Message)>();
        foreach (var (item, index) in Items(json).Select((item, index) => (item, index)))
        {
            if (index >= granted)
            {
                results.Add((null, "10006", "Too many visits!"));
                continue;
            }

            try
            {
                results.Add((await CancelOneAsync(item).ConfigureAwait(false), "0", "OK"));
            }
            catch (BybitSimError error)
            {
                results.Add((null, error.Code, error.Message));
            }
        }

        return await Result(
            ListOf(results, (w, r) =>
            {
                w.WriteStartObject();
                w.WriteString("category", "linear");
                w.WriteString("symbol", r.Order?.Symbol ?? "");
                w.WriteString("orderId", r.Order?.ExchangeOrderId ?? "");
                w.WriteString("orderLinkId", r.Order?.ClientOrderId ?? "");
                w.WriteEndObject();
            }, category: null),
            ListOf(results, (w, r) =>
            {
                w.WriteStartObject();
                w.WriteNumber("code", int.Parse(r.Code, CultureInfo.InvariantCulture));
                w.WriteString("msg", r.Message);
                w.WriteEndObject();
            }, category: null)).ConfigureAwait(false);
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> CancelAllAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var open = await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false);
        await Engine.CancelAllOrdersAsync(symbol).ConfigureAwait(false);
        return await Result(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("list");
            foreach (var order in open)
            {
                WriteIds(w, order);
            }

            w.WriteEndArray();
            w.WriteString("success", "1");
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> OrdersQueryAsync(Dictionary<string, string> p, bool history)
    {
        if (Faults.TakeOrderReadFailure())
        {
            // https://bybit-exchange.github.io/docs/v5/error: 10016 "Server error" / service restarting.
            throw new BybitSimError("10016", "Internal server error.");
        }

        List<Order> orders;
        if (p.ContainsKey("orderId") || p.ContainsKey("orderLinkId"))
        {
            Order? found;
            try
            {
                found = await FindAsync(p).ConfigureAwait(false);
            }
            catch (BybitSimError error) when (error.Code == "110001")
            {
                found = null;
            }

            orders = found is null || (history && found.Status.IsOpen()) ? [] : [found];
        }
        else
        {
            if (!p.ContainsKey("symbol") && p.GetValueOrDefault("settleCoin") != "USDT")
            {
                throw new BybitSimError("10001", "params error: symbol or settleCoin is required");
            }

            var symbol = p.GetValueOrDefault("symbol");
            if (symbol is not null)
            {
                await RulesOf(symbol).ConfigureAwait(false);
            }

            orders = history ? [] : [.. await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false)];
            if (!history && symbol is null && UnlistedSymbol is { } unlisted)
            {
                orders.Insert(0, UnlistedOrder(unlisted));
            }
        }

        var (page, next) = Page(orders, p, 50);
        return await Result(ListOf(page, WriteOrder, nextPageCursor: next)).ConfigureAwait(false);
    }

    internal static string StatusText(OrderStatus status) => status switch
    {
        OrderStatus.New => "New",
        OrderStatus.PartiallyFilled => "PartiallyFilled",
        OrderStatus.Filled => "Filled",
        OrderStatus.Rejected => "Rejected",
        _ => "Cancelled",
    };

    private Order UnlistedOrder(string symbol) => new()
    {
        ExchangeOrderId = "unlisted-" + symbol,
        ClientOrderId = "manual-" + symbol,
        Symbol = symbol,
        Side = OrderSide.Buy,
        Type = OrderType.Limit,
        TimeInForce = TimeInForce.Gtc,
        Price = 1m,
        Quantity = 10m,
        Status = OrderStatus.New,
        CreatedAt = Clock.GetUtcNow(),
        UpdatedAt = Clock.GetUtcNow(),
    };

    private void WriteOrder(Utf8JsonWriter w, Order order)
    {
        w.WriteStartObject();
        w.WriteString("category", "linear");
        w.WriteString("orderId", order.ExchangeOrderId);
        w.WriteString("orderLinkId", order.ClientOrderId ?? "");
        w.WriteString("symbol", order.Symbol);
        w.WriteString("price", D(order.Price));
        w.WriteString("qty", D(order.Quantity));
        w.WriteString("side", SideText(order.Side));
        w.WriteNumber("positionIdx", 0);
        // Faults.ReportUnknownValue: values Bybit may add to its enums (https://bybit-exchange.github.io/docs/v5/enum
        // grows: RPI was added to timeInForce) and a client must survive.
        w.WriteString("orderStatus", Faults.ReportsUnknown(order.ClientOrderId, OrderField.Status) ? "PendingReview" : StatusText(order.Status));
        w.WriteString("cancelType", "UNKNOWN");
        w.WriteString("rejectReason", order.RejectReason ?? "EC_NoError");
        w.WriteString("avgPrice", D(order.AveragePrice));
        w.WriteString("leavesQty", D(order.Status.IsOpen() ? order.Quantity - order.FilledQuantity : 0));
        w.WriteString("cumExecQty", D(order.FilledQuantity));
        w.WriteString("cumExecValue", D(order.FilledQuantity * order.AveragePrice));
        w.WriteString("timeInForce", Faults.ReportsUnknown(order.ClientOrderId, OrderField.TimeInForce) ? "GTD" : TimeInForceText(order.PostOnly ? TimeInForce.Gtx : order.TimeInForce));
        w.WriteString("orderType", Faults.ReportsUnknown(order.ClientOrderId, OrderField.OrderType) ? "Iceberg" : order.Type == OrderType.Limit ? "Limit" : "Market");
        w.WriteBoolean("reduceOnly", order.ReduceOnly);
        w.WriteString("createdTime", order.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("updatedTime", order.UpdatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> PositionsAsync(Dictionary<string, string> p)
    {
        if (!p.ContainsKey("symbol") && p.GetValueOrDefault("settleCoin") != "USDT")
        {
            throw new BybitSimError("10001", "params error: symbol or settleCoin is required");
        }

        var symbol = p.GetValueOrDefault("symbol");
        if (symbol is not null)
        {
            await RulesOf(symbol).ConfigureAwait(false);
        }

        var positions = (await Engine.GetPositionsAsync(symbol).ConfigureAwait(false)).ToList();
        if (symbol is null && UnlistedSymbol is { } unlisted)
        {
            positions.Insert(0, new Position { Symbol = unlisted, Size = 10m, EntryPrice = 1m, MarkPrice = 1m, Leverage = 1, UpdateTime = Clock.GetUtcNow() });
        }

        var (page, next) = Page(positions, p, 200);
        return await Result(ListOf(page, (w, position) => WritePosition(w, position, rest: true), nextPageCursor: next)).ConfigureAwait(false);
    }

    internal static void WritePosition(Utf8JsonWriter w, Position position, bool rest)
    {
        w.WriteStartObject();
        w.WriteString("category", "linear");
        w.WriteNumber("positionIdx", 0);
        // https://bybit-exchange.github.io/docs/v5/position: "tradeMode: Deprecated, always 0, check Get Account Info
        // to know the margin mode" (the same for the position topic).
        w.WriteNumber("tradeMode", 0);
        w.WriteString("symbol", position.Symbol);
        w.WriteString("side", position.Size > 0 ? "Buy" : position.Size < 0 ? "Sell" : "");
        w.WriteString("size", D(Math.Abs(position.Size)));
        w.WriteString(rest ? "avgPrice" : "entryPrice", D(position.EntryPrice));
        w.WriteString("markPrice", D(position.MarkPrice));
        w.WriteString("leverage", position.Leverage.ToString(CultureInfo.InvariantCulture));
        w.WriteString("liqPrice", position.LiquidationPrice == 0 ? "" : D(position.LiquidationPrice));
        w.WriteString("unrealisedPnl", D(position.UnrealizedPnl));
        w.WriteString("cumRealisedPnl", D(position.RealizedPnl));
        w.WriteString("positionStatus", "Normal");
        w.WriteString("createdTime", position.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("updatedTime", position.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private async Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> WalletAsync(Dictionary<string, string> p)
    {
        if (p.GetValueOrDefault("accountType") != "UNIFIED")
        {
            throw new BybitSimError("10001", "accountType only support UNIFIED");
        }

        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        var coin = p.GetValueOrDefault("coin");
        return await Result(ListOf([account], (w, a) => WriteWallet(w, a, coin), category: null)).ConfigureAwait(false);
    }

    /// <summary>
    /// https://bybit-exchange.github.io/docs/v5/account/account-info: the account's margin mode
    /// (<c>ISOLATED_MARGIN</c>, <c>REGULAR_MARGIN</c>, <c>PORTFOLIO_MARGIN</c>) replaces the deprecated <c>tradeMode</c>.
    /// </summary>
    private Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> AccountInfoAsync() => Result(w =>
    {
        var now = Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture);
        w.WriteStartObject();
        w.WriteString("marginMode", MarginMode);
        w.WriteString("updatedTime", now);
        w.WriteNumber("unifiedMarginStatus", 5);
        w.WriteBoolean("isMasterTrader", false);
        w.WriteString("spotHedgingStatus", "OFF");
        w.WriteEndObject();
    });

    internal static void WriteWallet(Utf8JsonWriter w, Account account, string? coin)
    {
        w.WriteStartObject();
        w.WriteString("accountType", "UNIFIED");
        w.WriteString("totalEquity", D(account.MarginBalance));
        w.WriteString("totalWalletBalance", D(account.WalletBalance));
        w.WriteString("totalMarginBalance", D(account.MarginBalance));
        w.WriteString("totalAvailableBalance", D(account.AvailableBalance));
        w.WriteString("totalPerpUPL", D(account.UnrealizedPnl));
        w.WriteString("totalInitialMargin", D(account.MarginBalance - account.AvailableBalance));
        w.WriteString("totalMaintenanceMargin", D(account.MaintenanceMargin));
        w.WriteStartArray("coin");
        if (coin is null or "USDT")
        {
            w.WriteStartObject();
            w.WriteString("coin", "USDT");
            w.WriteString("equity", D(account.MarginBalance));
            w.WriteString("walletBalance", D(account.WalletBalance));
            w.WriteString("unrealisedPnl", D(account.UnrealizedPnl));
            w.WriteString("locked", "0");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
