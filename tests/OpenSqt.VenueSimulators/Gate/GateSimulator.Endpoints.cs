using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Gate;

public sealed partial class GateSimulator
{
    private const string Futures = "/futures/usdt";

    /// <summary>
    /// The candlestick intervals Gate serves (ccxt ts/src/gate.ts <c>timeframes</c>: 10s, 1m, 5m, 15m, 30m, 1h, 2h,
    /// 4h, 8h, 1d, 7d); others are refused with INVALID_PARAM_VALUE. 10s and 7d are not served here: the engine has
    /// no such candles.
    /// </summary>
    public static IReadOnlySet<string> CandleIntervals { get; } = new HashSet<string>(["10s", "1m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "1d", "7d"], StringComparer.Ordinal);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _orderSymbols = new(StringComparer.Ordinal);

    /// <summary>How long after it finished an order can still be found by its <c>text</c> (Gate: 60 s).</summary>
    public TimeSpan TextLookupWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a cancelled order without fills can still be found (Gate: 10 minutes).</summary>
    public TimeSpan ZeroFillRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Contracts answered with <c>in_delisting: true</c> (orders and positions on them stay).</summary>
    public HashSet<string> DelistingContracts { get; } = new(StringComparer.Ordinal);

    /// <summary>Gate's <c>tif</c>: gtc, ioc, poc (post-only), fok (gateapi-python docs/FuturesOrder.md).</summary>
    /// <summary>
    /// Gate's <c>tif</c>: gtc, ioc, poc (post-only), fok (gateapi-python docs/FuturesOrder.md); for the orders
    /// <see cref="Faults.ReportUnknownValue"/> names, a value Gate might add.
    /// </summary>
    private string TifOf(Order order) => Faults.ReportsUnknown(order.ClientOrderId, OrderField.TimeInForce) ? "gtd" : (order.PostOnly ? "poc" : order.TimeInForce switch
    {
        TimeInForce.Ioc => "ioc",
        TimeInForce.Fok => "fok",
        TimeInForce.Gtx => "poc",
        _ => "gtc",
    });

    private EndpointSpec? Endpoint(string method, string path)
    {
        if (path == "/spot/time" && method == "GET")
        {
            return new(false, "public:time", _ => Ok($"{{\"server_time\":{Clock.NowMilliseconds}}}"));
        }

        if (!path.StartsWith(Futures + "/", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = path[(Futures.Length + 1)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var resource = slash < 0 ? rest : rest[..slash];
        var id = slash < 0 ? null : Uri.UnescapeDataString(rest[(slash + 1)..]);
        return (method, resource, id is null) switch
        {
            ("GET", "contracts", _) => new(false, "public:contracts", call => ContractsAsync(id)),
            ("GET", "tickers", true) => new(false, "public:tickers", TickersAsync),
            ("GET", "candlesticks", true) => new(false, "public:candlesticks", CandlesticksAsync),
            ("GET", "funding_rate", true) => new(false, "public:funding_rate", FundingHistoryAsync),
            ("POST", "orders", true) => new(true, "orders", PlaceAsync),
            ("POST", "batch_orders", true) => new(true, "orders", BatchPlaceAsync),
            ("GET", "orders", true) => new(true, "private:orders", ListOrdersAsync),
            ("DELETE", "orders", true) => new(true, "cancels", CancelAllAsync),
            ("GET", "orders", false) => new(true, "private:order", _ => GetOrderAsync(id!)),
            ("DELETE", "orders", false) => new(true, "cancels", _ => CancelAsync(id!)),
            ("POST", "countdown_cancel_all", true) => new(true, "private:countdown_cancel_all", CountdownCancelAllAsync),
            ("POST", "batch_cancel_orders", true) => new(true, "cancels", BatchCancelAsync),
            ("GET", "accounts", true) => new(true, "private:accounts", _ => AccountsAsync()),
            ("GET", "positions", _) => new(true, "private:positions", call => PositionsAsync(id, call)),
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

    /// <summary>Gate names USDT contracts <c>BASE_USDT</c>.</summary>
    private static string NameOf(string symbol) =>
        symbol.EndsWith("USDT", StringComparison.Ordinal) ? symbol[..^4] + "_USDT" : symbol;

    private static string SymbolOf(string contract) => contract.Replace("_", "", StringComparison.Ordinal);

    /// <summary>The engine's rules of a Gate contract name; the multiplier is the engine's step (one contract = one step).</summary>
    private async Task<(SymbolRules Rules, decimal Multiplier)> ContractOf(string? contract)
    {
        if (string.IsNullOrEmpty(contract) || !contract.Contains('_', StringComparison.Ordinal) || !KnownSymbols.Contains(SymbolOf(contract)))
        {
            throw new GateSimError(400, "CONTRACT_NOT_FOUND", $"contract {contract} not found");
        }

        var rules = await Engine.GetSymbolInfoAsync(SymbolOf(contract)).ConfigureAwait(false);
        return (rules, rules.StepSize);
    }

    private static long Contracts(decimal baseQuantity, decimal multiplier) => decimal.ToInt64(decimal.Floor(baseQuantity / multiplier));

    private async Task<(int, string)> ContractsAsync(string? one)
    {
        var rules = one is null
            ? await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false)
            : [(await ContractOf(one).ConfigureAwait(false)).Rules];
        var items = new List<(SymbolRules Rules, FundingRate Funding, decimal Last)>();
        foreach (var r in rules)
        {
            items.Add((r, await Engine.GetFundingRateAsync(r.Symbol).ConfigureAwait(false), await Engine.GetLatestPriceAsync(r.Symbol).ConfigureAwait(false)));
        }

        return (200, Json(w =>
        {
            if (one is null)
            {
                w.WriteStartArray();
            }

            foreach (var (r, funding, last) in items)
            {
                w.WriteStartObject();
                w.WriteString("name", NameOf(r.Symbol));
                w.WriteString("type", "direct");
                w.WriteString("quanto_multiplier", D(r.StepSize));
                w.WriteString("order_price_round", D(r.TickSize));
                w.WriteString("mark_price_round", D(r.TickSize));
                w.WriteNumber("order_size_min", Contracts(r.MinQuantity, r.StepSize));
                w.WriteNumber("order_size_max", Contracts(r.MaxQuantity ?? 1_000_000m * r.StepSize, r.StepSize));
                w.WriteString("last_price", D(last));
                w.WriteString("mark_price", D(last));
                w.WriteString("index_price", D(last));
                w.WriteString("funding_rate", D(funding.Rate));
                w.WriteString("funding_rate_indicative", D(funding.PredictedRate));
                w.WriteNumber("funding_interval", 28800);
                w.WriteNumber("funding_next_apply", funding.NextFundingTime.ToUnixTimeSeconds());
                w.WriteString("maker_fee_rate", "-0.00025");
                w.WriteString("taker_fee_rate", "0.00075");
                w.WriteBoolean("in_delisting", DelistingContracts.Contains(NameOf(r.Symbol)));
                w.WriteNumber("orders_limit", 50);
                w.WriteEndObject();
            }

            if (one is null)
            {
                w.WriteEndArray();
            }
        }));
    }

    private async Task<(int, string)> TickersAsync(GateCall call)
    {
        var wanted = call.Query.GetValueOrDefault("contract");
        if (wanted is not null)
        {
            await ContractOf(wanted).ConfigureAwait(false);
        }

        var tickers = await Engine.GetTickersAsync().ConfigureAwait(false);
        var rows = new List<string>();
        foreach (var t in tickers.Where(t => wanted is null || NameOf(t.Symbol) == wanted))
        {
            var rules = await Engine.GetSymbolInfoAsync(t.Symbol).ConfigureAwait(false);
            var funding = await Engine.GetFundingRateAsync(t.Symbol).ConfigureAwait(false);
            rows.Add(TickerJson(t, rules.StepSize, funding));
        }

        return (200, "[" + string.Join(',', rows) + "]");
    }

    private static string TickerJson(Ticker t, decimal multiplier, FundingRate funding) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("contract", NameOf(t.Symbol));
        w.WriteString("last", D(t.LastPrice));
        w.WriteString("change_percentage", D(decimal.Round(t.PriceChangePercent, 2)));
        w.WriteString("total_size", Contracts(t.OpenInterest, multiplier).ToString(CultureInfo.InvariantCulture));
        w.WriteString("volume_24h", Contracts(t.Volume, multiplier).ToString(CultureInfo.InvariantCulture));
        w.WriteString("volume_24h_base", D(t.Volume));
        w.WriteString("volume_24h_quote", D(t.QuoteVolume));
        w.WriteString("volume_24h_settle", D(t.QuoteVolume));
        w.WriteString("mark_price", D(t.LastPrice));
        w.WriteString("index_price", D(t.LastPrice));
        w.WriteString("funding_rate", D(funding.Rate));
        w.WriteString("funding_rate_indicative", D(funding.PredictedRate));
        w.WriteEndObject();
    });

    private async Task<(int, string)> CandlesticksAsync(GateCall call)
    {
        var (rules, multiplier) = await ContractOf(call.Query.GetValueOrDefault("contract")).ConfigureAwait(false);
        var interval = call.Query.GetValueOrDefault("interval", "5m");
        if (!CandleIntervals.Contains(interval) || !KlineInterval.IsValid(interval))
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", $"invalid interval {interval}");
        }

        var limit = call.Query.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 2000)
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "limit must be between 1 and 2000");
        }

        var candles = await Engine.GetHistoricalKlinesAsync(rules.Symbol, interval, limit).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var c in candles)
            {
                w.WriteStartObject();
                w.WriteNumber("t", c.OpenTime.ToUnixTimeSeconds());
                w.WriteNumber("v", Contracts(c.Volume, multiplier));
                w.WriteString("c", D(c.Close));
                w.WriteString("h", D(c.High));
                w.WriteString("l", D(c.Low));
                w.WriteString("o", D(c.Open));
                w.WriteString("sum", D(c.QuoteVolume));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> FundingHistoryAsync(GateCall call)
    {
        var (rules, _) = await ContractOf(call.Query.GetValueOrDefault("contract")).ConfigureAwait(false);
        var limit = call.Query.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        var history = await Engine.GetHistoricalFundingRatesAsync(rules.Symbol, limit).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var f in history.OrderByDescending(f => f.Timestamp))
            {
                w.WriteStartObject();
                w.WriteNumber("t", f.Timestamp.ToUnixTimeSeconds());
                w.WriteString("r", D(f.Rate));
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(OrderRequest Request, decimal Multiplier)> ValidateOrderAsync(JsonElement o)
    {
        if (o.ValueKind != JsonValueKind.Object)
        {
            throw new GateSimError(400, "INVALID_REQUEST_BODY", "order must be a JSON object");
        }

        var (rules, multiplier) = await ContractOf(o.TryGetProperty("contract", out var c) ? c.GetString() : null).ConfigureAwait(false);
        if (!o.TryGetProperty("size", out var sizeValue) || sizeValue.ValueKind != JsonValueKind.Number || !sizeValue.TryGetInt64(out var size))
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "invalid argument: size must be an integer number of contracts");
        }

        if (size == 0)
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "invalid argument: size cannot be 0 without close");
        }

        if (Math.Abs(size) < Contracts(rules.MinQuantity, multiplier))
        {
            throw new GateSimError(400, "SIZE_TOO_SMALL", $"order size {size} below order_size_min");
        }

        if (!o.TryGetProperty("price", out var priceValue) || priceValue.ValueKind != JsonValueKind.String
            || !decimal.TryParse(priceValue.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price))
        {
            // gateapi-nodejs#20: a missing price is "invalid argument: #4".
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "invalid argument: #4 price");
        }

        var tifText = o.TryGetProperty("tif", out var tifValue) ? tifValue.GetString() : "gtc";
        var tif = tifText switch
        {
            "gtc" => TimeInForce.Gtc,
            "ioc" => TimeInForce.Ioc,
            "poc" => TimeInForce.Gtx,
            "fok" => TimeInForce.Fok,
            _ => throw new GateSimError(400, "INVALID_PARAM_VALUE", $"invalid tif {tifText}"),
        };
        var type = OrderType.Limit;
        if (price == 0)
        {
            if (tif != TimeInForce.Ioc)
            {
                throw new GateSimError(400, "INVALID_PARAM_VALUE", "market orders (price 0) must use tif ioc");
            }

            type = OrderType.Market;
        }
        else if (price < 0 || !rules.IsOnTick(price))
        {
            throw new GateSimError(400, "INVALID_PRECISION", $"price {D(price)} is not a multiple of order_price_round {D(rules.TickSize)}");
        }

        string? clientId = null;
        if (o.TryGetProperty("text", out var textValue))
        {
            var text = textValue.GetString() ?? "";
            if (!TextRule().IsMatch(text))
            {
                throw new GateSimError(400, "INVALID_PARAM_VALUE", "text must start with t- and have at most 28 of [0-9A-Za-z_.-] after it");
            }

            clientId = text[2..];
        }

        var reduceOnly = o.TryGetProperty("reduce_only", out var ro) && ro.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new GateSimError(400, "INVALID_PARAM_VALUE", "reduce_only must be a boolean"),
        };
        return (new OrderRequest
        {
            Symbol = rules.Symbol,
            Side = size > 0 ? OrderSide.Buy : OrderSide.Sell,
            Type = type,
            TimeInForce = tif,
            Quantity = Math.Abs(size) * multiplier,
            Price = type == OrderType.Limit ? price : null,
            ReduceOnly = reduceOnly,
            ClientOrderId = clientId,
        }, multiplier);
    }

    private async Task<(Order Order, decimal Multiplier)> PlaceOneAsync(JsonElement o)
    {
        var (request, multiplier) = await ValidateOrderAsync(o).ConfigureAwait(false);
        try
        {
            var placed = await Engine.PlaceOrderAsync(request).ConfigureAwait(false);
            _orderSymbols[placed.ExchangeOrderId] = placed.Symbol;
            return (placed, multiplier);
        }
        catch (ExchangeException ex)
        {
            throw ex.Kind switch
            {
                ExchangeErrorKind.PostOnlyRejected => new GateSimError(400, "ORDER_POC_IMMEDIATE", "order would match immediately"),
                ExchangeErrorKind.AlreadyExists => new GateSimError(400, "REPEATED_CREATION", "text already used by an open order"),
                ExchangeErrorKind.ReduceOnlyRejected => new GateSimError(400, "INCREASE_POSITION", "reduce-only order would increase position"),
                ExchangeErrorKind.InsufficientMargin => new GateSimError(400, "INSUFFICIENT_AVAILABLE", "insufficient available balance"),
                ExchangeErrorKind.InvalidArgument => new GateSimError(400, "INVALID_PARAM_VALUE", ex.Message),
                _ => new GateSimError(500, "INTERNAL", ex.Message),
            };
        }
    }

    private static JsonDocument ParseBody(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new GateSimError(400, "INVALID_REQUEST_BODY", "request body is not valid JSON");
        }
    }

    private async Task<(int, string)> PlaceAsync(GateCall call)
    {
        using var doc = ParseBody(call.Body);
        var (order, multiplier) = await PlaceOneAsync(doc.RootElement).ConfigureAwait(false);
        if (Faults.OrderAckDelay > TimeSpan.Zero)
        {
            await Task.Delay(Faults.OrderAckDelay).ConfigureAwait(false);
        }

        if (Faults.TakeFailAfterAccept())
        {
            return (502, "<html>502 Bad Gateway</html>");
        }

        var current = await Engine.GetOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
        return (201, Json(w => WriteOrder(w, current, multiplier, rest: true)));
    }

    private async Task<(int, string)> BatchPlaceAsync(GateCall call)
    {
        using var doc = ParseBody(call.Body);
        var items = doc.RootElement;
        if (items.ValueKind != JsonValueKind.Array || items.GetArrayLength() is 0 or > 10)
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "batch_orders takes between 1 and 10 orders");
        }

        if (!Faults.AdmitBatchCall(items.GetArrayLength()))
        {
            // batch_orders is one call of the order-placement budget (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule):
            // a call over it is refused whole with 429 TOO_MANY_REQUESTS and nothing is placed.
            throw new GateSimError(429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded");
        }

        var results = new List<(Order? Order, decimal Multiplier, GateSimError? Error, string? Text)>();
        foreach (var item in items.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("text", out var t) ? t.GetString() : null;
            try
            {
                var (order, multiplier) = await PlaceOneAsync(item).ConfigureAwait(false);
                results.Add((order, multiplier, null, text));
            }
            catch (GateSimError error)
            {
                results.Add((null, 0, error, text));
            }
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var (order, multiplier, error, text) in results)
            {
                if (order is not null)
                {
                    WriteOrder(w, order, multiplier, rest: true, succeeded: true);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteBoolean("succeeded", false);
                    w.WriteString("label", error!.Label);
                    w.WriteString("message", error.Message);
                    if (text is not null)
                    {
                        w.WriteString("text", text);
                    }

                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
        }));
    }

    /// <summary>
    /// An order by id or by <c>t-</c> text. Gate (GET /futures/{settle}/orders/{order_id}, gateapi-python
    /// docs/FuturesApi.md get_futures_order): "Operations based on custom ID can only be checked when the order is in
    /// orderbook. finished, it can be checked within 60 seconds after the end of the order. After that, only order ID
    /// is accepted", and "Zero-fill order cannot be retrieved for 10 minutes after cancellation".
    /// </summary>
    private async Task<(Order Order, decimal Multiplier)> FindAsync(string id)
    {
        OrderRef reference;
        var byText = id.StartsWith("t-", StringComparison.Ordinal);
        if (byText)
        {
            reference = OrderRef.ByClientId(id[2..]);
        }
        else if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            reference = OrderRef.ByExchangeId(id);
        }
        else
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", $"order_id {id} is neither an id nor a t- text");
        }

        foreach (var symbol in KnownSymbols)
        {
            Order order;
            try
            {
                order = await Engine.GetOrderAsync(symbol, reference).ConfigureAwait(false);
            }
            catch (ExchangeException)
            {
                // Not on this contract.
                continue;
            }

            if (!Visible(order, byText))
            {
                break;
            }

            return (order, (await Engine.GetSymbolInfoAsync(symbol).ConfigureAwait(false)).StepSize);
        }

        throw new GateSimError(404, "ORDER_NOT_FOUND", "Order not found");
    }

    /// <summary>Whether Gate still answers for a finished order (see <see cref="FindAsync"/>).</summary>
    private bool Visible(Order order, bool byText)
    {
        if (order.Status.IsOpen())
        {
            return true;
        }

        var age = Clock.GetUtcNow() - order.UpdatedAt;
        if (byText && age > TextLookupWindow)
        {
            return false;
        }

        return !(order.Status == OrderStatus.Canceled && order.FilledQuantity == 0 && age > ZeroFillRetention);
    }

    private async Task<(int, string)> GetOrderAsync(string id)
    {
        if (Faults.TakeOrderReadFailure())
        {
            return (502, "<html>502 Bad Gateway</html>");
        }

        var (order, multiplier) = await FindAsync(id).ConfigureAwait(false);
        return (200, Json(w => WriteOrder(w, order, multiplier, rest: true)));
    }

    private async Task<Order> CancelOneAsync(string id)
    {
        var (order, _) = await FindAsync(id).ConfigureAwait(false);
        if (!order.Status.IsOpen())
        {
            // "Request DELETE /futures/orders/{order_id} with invalid order ID or order that has been finished will
            // return 404 instead of ignoring the error" (Gate APIv4 changelog v1.1.0; copy in rosssaunders/coincise
            // docs/gateio/error_codes.md): the same answer as for an id Gate never had.
            throw new GateSimError(404, "ORDER_NOT_FOUND", "Order not found");
        }

        await Engine.CancelOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
        return await Engine.GetOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
    }

    private async Task<(int, string)> CancelAsync(string id)
    {
        var order = await CancelOneAsync(id).ConfigureAwait(false);
        var multiplier = (await Engine.GetSymbolInfoAsync(order.Symbol).ConfigureAwait(false)).StepSize;
        return (200, Json(w => WriteOrder(w, order, multiplier, rest: true)));
    }

    /// <summary>
    /// POST /futures/{settle}/batch_cancel_orders: at most 20 ids; each item is a FutureCancelOrderResult
    /// <c>{id, user_id, succeeded, message}</c> whose message is "Error description when cancellation fails, empty if
    /// successful" (gateapi-python docs/FutureCancelOrderResult.md): a description, not a label.
    /// </summary>
    private async Task<(int, string)> BatchCancelAsync(GateCall call)
    {
        using var doc = ParseBody(call.Body);
        if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() is 0 or > 20
            || doc.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "batch_cancel_orders takes between 1 and 20 order id strings");
        }

        var results = new List<(string Id, GateSimError? Error)>();
        foreach (var id in doc.RootElement.EnumerateArray().Select(e => e.GetString()!))
        {
            try
            {
                await CancelOneAsync(id).ConfigureAwait(false);
                results.Add((id, null));
            }
            catch (GateSimError error)
            {
                results.Add((id, error));
            }
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var (id, error) in results)
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteNumber("user_id", long.Parse(UserId, CultureInfo.InvariantCulture));
                w.WriteBoolean("succeeded", error is null);
                w.WriteString("message", error?.Message ?? "");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> CancelAllAsync(GateCall call)
    {
        var (rules, multiplier) = await ContractOf(call.Query.GetValueOrDefault("contract")).ConfigureAwait(false);
        var open = await Engine.GetOpenOrdersAsync(rules.Symbol).ConfigureAwait(false);
        await Engine.CancelAllOrdersAsync(rules.Symbol).ConfigureAwait(false);
        var cancelled = new List<Order>();
        foreach (var order in open)
        {
            cancelled.Add(await Engine.GetOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false));
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var order in cancelled)
            {
                WriteOrder(w, order, multiplier, rest: true);
            }

            w.WriteEndArray();
        }));
    }

    /// <summary>
    /// GET /futures/{settle}/orders?status=open|finished: paged by <c>limit</c> (default 100, at most 1000) and
    /// <c>offset</c> (https://www.gate.com/docs/developers/apiv4/en/#pagination; gateapi-python list_futures_orders);
    /// finished orders newest first, zero-fill cancellations hidden after 10 minutes as for single lookups.
    /// </summary>
    private async Task<(int, string)> ListOrdersAsync(GateCall call)
    {
        var status = call.Query.GetValueOrDefault("status");
        if (status is not ("open" or "finished"))
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "status must be open or finished");
        }

        var (limit, offset) = Paging(call);
        var contract = call.Query.GetValueOrDefault("contract");
        var symbol = contract is null ? null : (await ContractOf(contract).ConfigureAwait(false)).Rules.Symbol;
        List<Order> orders;
        if (status == "open")
        {
            orders = [.. await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false)];
        }
        else
        {
            orders = [];
            foreach (var (id, orderSymbol) in _orderSymbols)
            {
                if (symbol is not null && orderSymbol != symbol)
                {
                    continue;
                }

                var order = await Engine.GetOrderAsync(orderSymbol, OrderRef.ByExchangeId(id)).ConfigureAwait(false);
                if (!order.Status.IsOpen() && Visible(order, byText: false))
                {
                    orders.Add(order);
                }
            }

            orders = [.. orders.OrderByDescending(o => o.UpdatedAt).ThenByDescending(o => long.Parse(o.ExchangeOrderId, CultureInfo.InvariantCulture))];
        }

        var page = orders.Skip(offset).Take(limit).ToList();
        var multipliers = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var order in page)
        {
            multipliers[order.Symbol] = (await Engine.GetSymbolInfoAsync(order.Symbol).ConfigureAwait(false)).StepSize;
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var order in page)
            {
                WriteOrder(w, order, multipliers[order.Symbol], rest: true);
            }

            w.WriteEndArray();
        }));
    }

    /// <summary>Gate's limit-offset paging: "limit ... defaults to 100 if not provided and its maximum value is limited to 1000".</summary>
    private static (int Limit, int Offset) Paging(GateCall call)
    {
        var limit = 100;
        var offset = 0;
        if (call.Query.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "limit must be between 1 and 1000");
        }

        if (call.Query.TryGetValue("offset", out var o) && !int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "offset must be a non-negative integer");
        }

        return (limit, offset);
    }

    private async Task<(int, string)> AccountsAsync()
    {
        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("user", long.Parse(UserId, CultureInfo.InvariantCulture));
            w.WriteString("currency", "USDT");
            w.WriteString("total", D(account.WalletBalance));
            w.WriteString("unrealised_pnl", D(account.UnrealizedPnl));
            w.WriteString("position_margin", D(account.MarginBalance - account.AvailableBalance - account.UnrealizedPnl));
            w.WriteString("order_margin", "0");
            w.WriteString("available", D(account.AvailableBalance));
            w.WriteString("maint_margin", D(account.MaintenanceMargin));
            w.WriteString("point", "0");
            w.WriteBoolean("in_dual_mode", false);
            w.WriteEndObject();
        }));
    }

    /// <summary>
    /// GET /futures/{settle}/positions (gateapi-python docs/FuturesApi.md list_positions): <c>holding</c> "Return only
    /// real positions - true, return all - false", paged by <c>limit</c> (default 100) and <c>offset</c>. Without
    /// <c>holding=true</c> every contract the account can trade comes back, empty ones included, so the first page can
    /// miss a real position. GET .../positions/{contract} answers one position, empty or not.
    /// </summary>
    private async Task<(int, string)> PositionsAsync(string? contract, GateCall call)
    {
        if (contract is not null)
        {
            var symbol = (await ContractOf(contract).ConfigureAwait(false)).Rules.Symbol;
            var held = (await Engine.GetPositionsAsync(symbol).ConfigureAwait(false)).FirstOrDefault(p => p.Size != 0);
            var step = (await Engine.GetSymbolInfoAsync(symbol).ConfigureAwait(false)).StepSize;
            return (200, PositionJson(held ?? new Position { Symbol = symbol, Size = 0 }, step, rest: true));
        }

        var holding = call.Query.GetValueOrDefault("holding") == "true";
        var (limit, offset) = Paging(call);
        var open = (await Engine.GetPositionsAsync(null).ConfigureAwait(false)).Where(p => p.Size != 0).ToDictionary(p => p.Symbol, StringComparer.Ordinal);
        var all = holding
            ? [.. open.Values]
            : KnownSymbols.Select(s => open.GetValueOrDefault(s) ?? new Position { Symbol = s, Size = 0 }).ToList();
        var page = all.OrderBy(p => NameOf(p.Symbol), StringComparer.Ordinal).Skip(offset).Take(limit).ToList();
        var rows = new List<string>();
        foreach (var p in page)
        {
            rows.Add(PositionJson(p, (await Engine.GetSymbolInfoAsync(p.Symbol).ConfigureAwait(false)).StepSize, rest: true));
        }

        return (200, "[" + string.Join(',', rows) + "]");
    }

    private string PositionJson(Position p, decimal multiplier, bool rest) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("contract", NameOf(p.Symbol));
        w.WriteString("user", UserId);
        w.WriteString("mode", "single");
        if (rest)
        {
            w.WriteNumber("size", decimal.ToInt64(p.Size / multiplier));
            w.WriteString("entry_price", D(p.EntryPrice));
            w.WriteString("mark_price", D(p.MarkPrice));
            w.WriteString("unrealised_pnl", D(p.UnrealizedPnl));
            w.WriteString("realised_pnl", D(p.RealizedPnl));
            w.WriteString("leverage", "0");
            w.WriteString("cross_leverage_limit", p.Leverage.ToString(CultureInfo.InvariantCulture));
            w.WriteString("liq_price", D(p.LiquidationPrice));
            w.WriteNumber("update_time", p.UpdateTime.ToUnixTimeSeconds());
        }
        else
        {
            // futures.positions pushes floats and no mark price or unrealised PnL.
            w.WriteNumber("size", decimal.ToInt64(p.Size / multiplier));
            w.WriteNumber("entry_price", p.EntryPrice);
            w.WriteNumber("realised_pnl", p.RealizedPnl);
            w.WriteNumber("leverage", 0);
            w.WriteNumber("cross_leverage_limit", p.Leverage);
            w.WriteNumber("liq_price", p.LiquidationPrice);
            w.WriteNumber("time", p.UpdateTime.ToUnixTimeSeconds());
            w.WriteNumber("time_ms", p.UpdateTime.ToUnixTimeMilliseconds());
        }

        w.WriteEndObject();
    });

    private static string FinishAs(OrderStatus status, bool pushed, decimal filled) => status switch
    {
        OrderStatus.Filled => "filled",
        OrderStatus.Canceled or OrderStatus.Rejected => "cancelled",
        OrderStatus.Expired => "ioc",
        _ => pushed ? (filled > 0 ? "_update" : "_new") : "",
    };

    /// <summary>An order as Gate writes it: REST with strings and fractional-second times, the WebSocket with numbers and seconds plus milliseconds.</summary>
    private void WriteOrder(Utf8JsonWriter w, Order order, decimal multiplier, bool rest, bool? succeeded = null)
    {
        var size = decimal.ToInt64(order.Quantity / multiplier) * (order.Side == OrderSide.Buy ? 1 : -1);
        var left = decimal.ToInt64(order.RemainingQuantity / multiplier) * (order.Side == OrderSide.Buy ? 1 : -1);
        var open = order.Status.IsOpen();
        w.WriteStartObject();
        if (succeeded is { } s)
        {
            w.WriteBoolean("succeeded", s);
        }

        w.WriteNumber("id", long.Parse(order.ExchangeOrderId, CultureInfo.InvariantCulture));
        w.WriteString("user", UserId);
        w.WriteString("contract", NameOf(order.Symbol));
        w.WriteString("text", order.ClientOrderId is null ? "api" : "t-" + order.ClientOrderId);
        w.WriteString("tif", TifOf(order));
        w.WriteBoolean("is_reduce_only", order.ReduceOnly);
        w.WriteBoolean("is_close", false);
        w.WriteBoolean("is_liq", false);
        // Gate documents status open / finished (gateapi-python docs/FuturesOrder.md); Faults.ReportUnknownValue puts a
        // value Gate might add in its place.
        w.WriteString("status", Faults.ReportsUnknown(order.ClientOrderId, OrderField.Status) ? "pending_review" : open ? "open" : "finished");
        var finishAs = FinishAs(order.Status, !rest, order.FilledQuantity);
        if (finishAs.Length > 0)
        {
            w.WriteString("finish_as", finishAs);
        }

        if (rest)
        {
            w.WriteNumber("size", size);
            w.WriteNumber("left", left);
            w.WriteString("price", order.Type == OrderType.Market ? "0" : D(order.Price));
            w.WriteString("fill_price", D(order.AveragePrice));
            w.WriteString("create_time", Seconds(order.CreatedAt));
            w.WriteString("update_time", Seconds(order.UpdatedAt));
            if (!open)
            {
                w.WriteString("finish_time", Seconds(order.UpdatedAt));
            }

            w.WriteString("mkfr", "0.0002");
            w.WriteString("tkfr", "0.0005");
        }
        else
        {
            w.WriteNumber("size", size);
            w.WriteNumber("left", left);
            w.WriteNumber("price", order.Type == OrderType.Market ? 0 : order.Price);
            w.WriteNumber("fill_price", order.AveragePrice);
            w.WriteNumber("create_time", order.CreatedAt.ToUnixTimeSeconds());
            w.WriteNumber("create_time_ms", order.CreatedAt.ToUnixTimeMilliseconds());
            w.WriteNumber("finish_time", order.UpdatedAt.ToUnixTimeSeconds());
            w.WriteNumber("finish_time_ms", order.UpdatedAt.ToUnixTimeMilliseconds());
            w.WriteNumber("mkfr", 0.0002m);
            w.WriteNumber("tkfr", 0.0005m);
        }

        w.WriteNumber("iceberg", 0);
        w.WriteEndObject();
    }

    private static string Seconds(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000m).ToString("0.000", CultureInfo.InvariantCulture);
}
