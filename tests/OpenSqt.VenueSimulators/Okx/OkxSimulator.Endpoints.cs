using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenSqt.Contracts;

namespace OpenSqt.VenueSimulators.Okx;

public sealed partial class OkxSimulator
{
    private static readonly IReadOnlyDictionary<string, int> Free = new Dictionary<string, int>(StringComparer.Ordinal);

    private static Dictionary<string, int> Cost(string rule) => new(StringComparer.Ordinal) { [rule] = 1 };

    private EndpointSpec? Endpoint(string method, string path) => (method, path) switch
    {
        ("GET", "/api/v5/public/time") => new(false, Cost(OkxWire.Limit.Time), (_, _) => Ok(w =>
        {
            w.WriteStartObject();
            w.WriteString("ts", Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        })),
        ("GET", "/api/v5/public/instruments") => new(false, Cost(OkxWire.Limit.Instruments), (p, _) => InstrumentsAsync(p)),
        ("GET", "/api/v5/market/ticker") => new(false, Cost(OkxWire.Limit.Ticker), (p, _) => TickersAsync(Required(p, "instId"))),
        ("GET", "/api/v5/market/tickers") => new(false, Cost(OkxWire.Limit.Tickers), (p, _) => RequireSwap(p) ? TickersAsync(null) : throw new OkxSimError(OkxWire.ParameterError, "Parameter instType error")),
        ("GET", "/api/v5/market/candles") => new(false, Cost(OkxWire.Limit.Candles), (p, _) => CandlesAsync(p)),
        ("GET", "/api/v5/public/funding-rate") => new(false, Cost(OkxWire.Limit.Funding), (p, _) => FundingAsync(p)),
        ("GET", "/api/v5/public/funding-rate-history") => new(false, Cost(OkxWire.Limit.FundingHistory), (p, _) => FundingHistoryAsync(p)),
        ("GET", "/api/v5/public/open-interest") => new(false, Cost(OkxWire.Limit.OpenInterest), (p, _) => OpenInterestAsync(p)),
        ("POST", "/api/v5/trade/order") => new(true, Cost(OkxWire.Limit.Place), (_, j) => PlaceAsync(j)),
        ("POST", "/api/v5/trade/batch-orders") => new(true, Free, (_, j) => BatchAsync(j, OkxWire.Limit.Place, BatchPlaceBudget, PlaceItemAsync)),
        ("POST", "/api/v5/trade/cancel-order") => new(true, Cost(OkxWire.Limit.Cancel), (_, j) => ItemsAnswer([CancelItemAsync(Fields(j))])),
        ("POST", "/api/v5/trade/cancel-batch-orders") => new(true, Free, (_, j) => BatchAsync(j, OkxWire.Limit.Cancel, BatchCancelBudget, CancelItemAsync)),
        ("POST", "/api/v5/trade/cancel-all-after") => new(true, Cost(OkxWire.Limit.CancelAllAfter), (_, j) => CancelAllAfterAsync(Fields(j))),
        ("GET", "/api/v5/trade/order") => new(true, Cost(OkxWire.Limit.GetOrder), (p, _) => OrderDetailAsync(p)),
        ("GET", "/api/v5/trade/orders-pending") => new(true, Cost(OkxWire.Limit.Pending), (p, _) => PendingAsync(p)),
        ("GET", "/api/v5/account/balance") => new(true, Cost(OkxWire.Limit.Balance), (p, _) => BalanceAsync(p)),
        ("GET", "/api/v5/account/positions") => new(true, Cost(OkxWire.Limit.Positions), (p, _) => PositionsAsync(p)),
        _ => null,
    };

    private static Task<(string, string, Action<Utf8JsonWriter>?, int)> Ok(Action<Utf8JsonWriter> data) =>
        Task.FromResult<(string, string, Action<Utf8JsonWriter>?, int)>(("0", "", data, 200));

    private static bool RequireSwap(Dictionary<string, string> p) => p.GetValueOrDefault("instType") == "SWAP";

    private static string Required(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new OkxSimError(OkxWire.ParameterError, $"Parameter {name} error");

    /// <summary>The engine rules and contract value of an OKX SWAP instrument id.</summary>
    private async Task<(SymbolRules Rules, decimal CtVal)> InstrumentOf(string instId)
    {
        var symbol = OkxWire.SymbolOf(instId) ?? throw new OkxSimError(OkxWire.InstrumentNotExist, $"Instrument ID {instId} does not exist.");
        try
        {
            var rules = await Engine.GetSymbolInfoAsync(symbol).ConfigureAwait(false);
            return (rules, ContractValue(rules));
        }
        catch (ExchangeException)
        {
            throw new OkxSimError(OkxWire.InstrumentNotExist, $"Instrument ID {instId} does not exist.");
        }
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> InstrumentsAsync(Dictionary<string, string> p)
    {
        if (!RequireSwap(p))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter instType error");
        }

        var rules = await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false);
        return await Ok(w =>
        {
            foreach (var r in rules)
            {
                var ctVal = ContractValue(r);
                w.WriteStartObject();
                w.WriteString("instType", "SWAP");
                w.WriteString("instId", OkxWire.InstId(r.Symbol));
                w.WriteString("uly", $"{r.BaseAsset}-{r.QuoteAsset}");
                w.WriteString("instFamily", $"{r.BaseAsset}-{r.QuoteAsset}");
                w.WriteString("ctType", "linear");
                w.WriteString("ctVal", D(ctVal));
                w.WriteString("ctMult", "1");
                w.WriteString("ctValCcy", r.BaseAsset);
                w.WriteString("settleCcy", r.QuoteAsset);
                w.WriteString("tickSz", D(r.TickSize));
                w.WriteString("lotSz", D(Lot));
                w.WriteString("minSz", D(r.MinQuantity / ctVal));
                w.WriteString("maxLmtSz", D((r.MaxQuantity ?? 1_000_000m) / ctVal));
                w.WriteString("state", "live");
                w.WriteEndObject();
            }
        }).ConfigureAwait(false);
    }

    internal void WriteTicker(Utf8JsonWriter w, Ticker t, SymbolRules rules)
    {
        w.WriteStartObject();
        w.WriteString("instType", "SWAP");
        w.WriteString("instId", OkxWire.InstId(t.Symbol));
        w.WriteString("last", D(t.LastPrice));
        w.WriteString("askPx", D(t.LastPrice));
        w.WriteString("bidPx", D(t.LastPrice));
        w.WriteString("open24h", D(t.LastPrice - t.PriceChange));
        w.WriteString("high24h", D(t.LastPrice));
        w.WriteString("low24h", D(t.LastPrice));
        w.WriteString("vol24h", D(t.Volume / ContractValue(rules)));
        w.WriteString("volCcy24h", D(t.Volume));
        w.WriteString("ts", t.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> TickersAsync(string? instId)
    {
        var symbol = instId is null ? null : (await InstrumentOf(instId).ConfigureAwait(false)).Rules.Symbol;
        var tickers = (await Engine.GetTickersAsync().ConfigureAwait(false)).Where(t => symbol is null || t.Symbol == symbol).ToList();
        var rules = (await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false)).ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        return await Ok(w =>
        {
            foreach (var t in tickers)
            {
                WriteTicker(w, t, rules[t.Symbol]);
            }
        }).ConfigureAwait(false);
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> CandlesAsync(Dictionary<string, string> p)
    {
        var (rules, ctVal) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        var interval = OkxWire.IntervalOfBar(p.GetValueOrDefault("bar", "1m")) ?? throw new OkxSimError(OkxWire.ParameterError, "Parameter bar error");
        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 300)
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter limit error");
        }

        var candles = (await Engine.GetHistoricalKlinesAsync(rules.Symbol, interval, limit).ConfigureAwait(false)).Reverse().ToList();
        return await Ok(w =>
        {
            foreach (var c in candles)
            {
                WriteCandle(w, c, ctVal);
            }
        }).ConfigureAwait(false);
    }

    internal static void WriteCandle(Utf8JsonWriter w, Candle c, decimal ctVal)
    {
        w.WriteStartArray();
        w.WriteStringValue(c.OpenTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteStringValue(D(c.Open));
        w.WriteStringValue(D(c.High));
        w.WriteStringValue(D(c.Low));
        w.WriteStringValue(D(c.Close));
        w.WriteStringValue(D(c.Volume / ctVal));
        w.WriteStringValue(D(c.Volume));
        w.WriteStringValue(D(c.QuoteVolume));
        w.WriteStringValue(c.IsClosed ? "1" : "0");
        w.WriteEndArray();
    }

    internal static void WriteFunding(Utf8JsonWriter w, FundingRate f)
    {
        w.WriteStartObject();
        w.WriteString("instType", "SWAP");
        w.WriteString("instId", OkxWire.InstId(f.Symbol));
        w.WriteString("fundingRate", D(f.Rate));
        w.WriteString("nextFundingRate", D(f.PredictedRate));
        w.WriteString("fundingTime", f.NextFundingTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("ts", f.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    /// <summary>
    /// GET /api/v5/public/funding-rate: one swap, or every swap with <c>instId=ANY</c> ("Instrument ID, e.g.
    /// BTC-USD-SWAP or ANY to return the funding rate info of all swap symbols";
    /// https://www.okx.com/docs-v5/en/#public-data-rest-api-get-funding-rate).
    /// </summary>
    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> FundingAsync(Dictionary<string, string> p)
    {
        var instId = Required(p, "instId");
        var symbols = instId == "ANY"
            ? [.. (await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false)).Select(r => r.Symbol)]
            : new List<string> { (await InstrumentOf(instId).ConfigureAwait(false)).Rules.Symbol };
        var rates = new List<FundingRate>();
        foreach (var symbol in symbols)
        {
            rates.Add(await Engine.GetFundingRateAsync(symbol).ConfigureAwait(false));
        }

        return await Ok(w =>
        {
            foreach (var funding in rates)
            {
                WriteFunding(w, funding);
            }
        }).ConfigureAwait(false);
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> FundingHistoryAsync(Dictionary<string, string> p)
    {
        var (rules, _) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        var history = (await Engine.GetHistoricalFundingRatesAsync(rules.Symbol, limit).ConfigureAwait(false)).Reverse().ToList();
        return await Ok(w =>
        {
            foreach (var f in history)
            {
                w.WriteStartObject();
                w.WriteString("instId", OkxWire.InstId(f.Symbol));
                w.WriteString("fundingRate", D(f.Rate));
                w.WriteString("realizedRate", D(f.Rate));
                w.WriteString("fundingTime", f.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                w.WriteEndObject();
            }
        }).ConfigureAwait(false);
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> OpenInterestAsync(Dictionary<string, string> p)
    {
        var (rules, ctVal) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        var oi = await Engine.GetOpenInterestAsync(rules.Symbol).ConfigureAwait(false);
        return await Ok(w =>
        {
            w.WriteStartObject();
            w.WriteString("instId", OkxWire.InstId(rules.Symbol));
            w.WriteString("oi", D(oi / ctVal));
            w.WriteString("oiCcy", D(oi));
            w.WriteString("ts", Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Dictionary<string, string> Fields(JsonElement item) => item.ValueKind == JsonValueKind.Object
        ? item.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.ValueKind == JsonValueKind.String ? f.Value.GetString()! : f.Value.GetRawText(), StringComparer.Ordinal)
        : throw new OkxSimError(OkxWire.JsonError, "JSON syntax error");

    [GeneratedRegex("^[A-Za-z0-9]{1,32}$")]
    private static partial Regex ClOrdIdRule();

    /// <summary>One item result: the order (or its ids) and its sCode.</summary>
    private sealed record ItemResult(string? OrderId, string? ClientOrderId, string Code, string Message);

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> PlaceAsync(JsonElement json)
    {
        var result = await PlaceItemAsync(Fields(json)).ConfigureAwait(false);
        if (result.Code == "0")
        {
            if (Faults.OrderAckDelay > TimeSpan.Zero)
            {
                await Task.Delay(Faults.OrderAckDelay).ConfigureAwait(false);
            }

            if (Faults.TakeFailAfterAccept())
            {
                return ("", "", null, 503);
            }
        }

        return await ItemsAnswer([Task.FromResult(result)]).ConfigureAwait(false);
    }

    /// <summary>
    /// A batch of at most 20 items. One item is charged to the single-order endpoint's budget; more are charged per
    /// order to the batch budget, and the items past what is left of it fail with sCode 50011 while the others are
    /// executed (OkxWire.BatchOrdersPerWindow for the source).
    /// </summary>
    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> BatchAsync(JsonElement json, string singleRule, OkxOrderBudget budget, Func<Dictionary<string, string>, Task<ItemResult>> handle)
    {
        if (json.ValueKind != JsonValueKind.Array || json.GetArrayLength() is 0 or > MaxBatch)
        {
            throw new OkxSimError(OkxWire.ParameterError, $"Parameter batch error: 1 to {MaxBatch} items");
        }

        var items = json.EnumerateArray().Select(Fields).ToList();
        int granted;
        if (items.Count == 1)
        {
            granted = RateLimiter.Charge(Cost(singleRule)).Status == 0 ? 1 : throw new OkxSimError(OkxWire.RateLimited, "Too Many Requests");
        }
        else
        {
            granted = budget.Take(items.Count);
            if (budget == BatchPlaceBudget)
            {
                granted = Faults.AdmitBatchOrders(granted);
            }
        }

        var results = new List<Task<ItemResult>>();
        for (var i = 0; i < items.Count; i++)
        {
            results.Add(i < granted
                ? Task.FromResult(await handle(items[i]).ConfigureAwait(false))
                : Task.FromResult(new ItemResult(null, items[i].GetValueOrDefault("clOrdId"), OkxWire.RateLimited, "Rate limit reached. Please refer to API documentation and throttle requests accordingly.")));
        }

        return await ItemsAnswer(results).ConfigureAwait(false);
    }

    private static async Task<(string, string, Action<Utf8JsonWriter>?, int)> ItemsAnswer(IReadOnlyList<Task<ItemResult>> pending)
    {
        var results = new List<ItemResult>();
        foreach (var task in pending)
        {
            results.Add(await task.ConfigureAwait(false));
        }

        var failed = results.Count(r => r.Code != "0");
        var code = failed == 0 ? "0" : failed == results.Count ? "1" : "2";
        var message = code switch
        {
            "0" => "",
            "1" => "All operations failed",
            _ => "Batch operation partially succeeded",
        };
        return (code, message, w =>
        {
            foreach (var r in results)
            {
                w.WriteStartObject();
                w.WriteString("ordId", r.OrderId ?? "");
                w.WriteString("clOrdId", r.ClientOrderId ?? "");
                w.WriteString("tag", "");
                w.WriteString("sCode", r.Code);
                w.WriteString("sMsg", r.Message);
                w.WriteEndObject();
            }
        }, 200);
    }

    private static decimal Number(Dictionary<string, string> p, string name) =>
        decimal.TryParse(Required(p, name), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new OkxSimError(OkxWire.ParameterError, $"Parameter {name} error");

    private async Task<ItemResult> PlaceItemAsync(Dictionary<string, string> p)
    {
        var clientId = p.GetValueOrDefault("clOrdId");
        try
        {
            var order = await PlaceOneAsync(p).ConfigureAwait(false);
            return new ItemResult(order.ExchangeOrderId, clientId, "0", "Order placed");
        }
        catch (OkxSimError error)
        {
            return new ItemResult(null, clientId, error.Code, error.Message);
        }
    }

    private async Task<Order> PlaceOneAsync(Dictionary<string, string> p)
    {
        var (rules, ctVal) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        if (p.GetValueOrDefault("tdMode") is not ("cross" or "isolated"))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter tdMode error");
        }

        if (p.GetValueOrDefault("posSide", "net") != "net")
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter posSide error");
        }

        var side = Required(p, "side") switch
        {
            "buy" => OrderSide.Buy,
            "sell" => OrderSide.Sell,
            _ => throw new OkxSimError(OkxWire.ParameterError, "Parameter side error"),
        };
        var (type, tif) = Required(p, "ordType") switch
        {
            "limit" => (OrderType.Limit, TimeInForce.Gtc),
            "post_only" => (OrderType.Limit, TimeInForce.Gtx),
            "ioc" => (OrderType.Limit, TimeInForce.Ioc),
            "fok" => (OrderType.Limit, TimeInForce.Fok),
            "market" => (OrderType.Market, TimeInForce.Gtc),
            _ => throw new OkxSimError(OkxWire.ParameterError, "Parameter ordType error"),
        };
        var contracts = Number(p, "sz");
        if (contracts % Lot != 0)
        {
            throw new OkxSimError("51121", $"Order quantity must be a multiple of the lot size {D(Lot)}.");
        }

        var quantity = contracts * ctVal;
        if (quantity < rules.MinQuantity)
        {
            throw new OkxSimError("51020", "Your order should meet or exceed the minimum order amount.");
        }

        decimal? price = null;
        if (type == OrderType.Limit)
        {
            price = Number(p, "px");
            if (!rules.IsOnTick(price.Value))
            {
                throw new OkxSimError(OkxWire.ParameterError, "Parameter px error");
            }
        }
        else if (p.ContainsKey("px"))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter px error");
        }

        var reduceOnly = p.GetValueOrDefault("reduceOnly") switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new OkxSimError(OkxWire.ParameterError, "Parameter reduceOnly error"),
        };
        var clientId = p.GetValueOrDefault("clOrdId");
        if (clientId is not null && !ClOrdIdRule().IsMatch(clientId))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter clOrdId error");
        }

        if (clientId is not null)
        {
            lock (_gate)
            {
                if (_refused.Values.Any(o => o.ClientOrderId == clientId))
                {
                    throw new OkxSimError(OkxWire.DuplicateClOrdId, "Duplicated clOrdId");
                }
            }
        }

        var request = new OrderRequest
        {
            Symbol = rules.Symbol,
            Side = side,
            Type = type,
            TimeInForce = tif,
            Quantity = quantity,
            Price = price,
            ReduceOnly = reduceOnly,
            ClientOrderId = clientId,
        };
        try
        {
            return await Engine.PlaceOrderAsync(request).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.PostOnlyRejected)
        {
            var now = Clock.GetUtcNow();
            var order = new Order
            {
                ExchangeOrderId = Interlocked.Increment(ref _refusedId).ToString(CultureInfo.InvariantCulture),
                ClientOrderId = clientId,
                Symbol = rules.Symbol,
                Side = side,
                Type = type,
                TimeInForce = TimeInForce.Gtx,
                Price = price ?? 0,
                Quantity = quantity,
                Status = OrderStatus.Canceled,
                PostOnly = true,
                CreatedAt = now,
                UpdatedAt = now,
                RejectReason = OkxWire.PostOnlyCancelSource,
            };
            lock (_gate)
            {
                _refused[order.ExchangeOrderId] = order;
            }

            await SendPrivateAsync("orders", w => WriteOrder(w, order, ctVal, null)).ConfigureAwait(false);
            return order;
        }
        catch (ExchangeException ex)
        {
            throw ex.Kind switch
            {
                ExchangeErrorKind.AlreadyExists => new OkxSimError(OkxWire.DuplicateClOrdId, "Duplicated clOrdId"),
                ExchangeErrorKind.ReduceOnlyRejected => new OkxSimError("51169", "Order failed because you don't have any positions in this direction for this contract to reduce or close."),
                ExchangeErrorKind.InsufficientMargin => new OkxSimError("51008", "Order failed. Insufficient USDT margin in account"),
                ExchangeErrorKind.InvalidArgument => new OkxSimError(OkxWire.ParameterError, ex.Message),
                _ => new OkxSimError(OkxWire.ServiceUnavailable, ex.Message),
            };
        }
    }

    private async Task<Order?> FindAsync(Dictionary<string, string> p)
    {
        var (rules, _) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        OrderRef reference;
        if (p.TryGetValue("ordId", out var id) && id.Length > 0)
        {
            lock (_gate)
            {
                if (_refused.TryGetValue(id, out var refused))
                {
                    return refused;
                }
            }

            reference = OrderRef.ByExchangeId(id);
        }
        else if (p.TryGetValue("clOrdId", out var clientId) && clientId.Length > 0)
        {
            lock (_gate)
            {
                if (_refused.Values.FirstOrDefault(o => o.ClientOrderId == clientId) is { } refused)
                {
                    return refused;
                }
            }

            reference = OrderRef.ByClientId(clientId);
        }
        else
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter ordId or clOrdId error");
        }

        try
        {
            return await Engine.GetOrderAsync(rules.Symbol, reference).ConfigureAwait(false);
        }
        catch (ExchangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// One cancel: OKX answers 51400 alike for an order that is filled, already canceled or unknown (error-code table,
    /// https://www.okx.com/docs-v5/en/#error-code-rest-api-trade; 51401/51402 are Nitro Spread only).
    /// </summary>
    private async Task<ItemResult> CancelItemAsync(Dictionary<string, string> p)
    {
        const string Refused = "Order cancellation failed as the order has been filled, canceled or does not exist.";
        try
        {
            var order = await FindAsync(p).ConfigureAwait(false);
            if (order is null)
            {
                return new ItemResult(p.GetValueOrDefault("ordId"), p.GetValueOrDefault("clOrdId"), OkxWire.CancelFailed, Refused);
            }

            if (!order.Status.IsOpen())
            {
                return new ItemResult(order.ExchangeOrderId, order.ClientOrderId, OkxWire.CancelFailed, Refused);
            }

            await Engine.CancelOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
            return new ItemResult(order.ExchangeOrderId, order.ClientOrderId, "0", "");
        }
        catch (OkxSimError error)
        {
            return new ItemResult(p.GetValueOrDefault("ordId"), p.GetValueOrDefault("clOrdId"), error.Code, error.Message);
        }
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> OrderDetailAsync(Dictionary<string, string> p)
    {
        var (_, ctVal) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        var order = await FindAsync(p).ConfigureAwait(false) ?? throw new OkxSimError(OkxWire.OrderNotExist, "Order does not exist");
        var overrides = OverridesOf(order.ClientOrderId);
        return await Ok(w => WriteOrder(w, order, ctVal, null, overrides)).ConfigureAwait(false);
    }

    /// <summary>
    /// GET /api/v5/trade/orders-pending: newest first, <c>limit</c> at most 100 (default 100), <c>after</c> an ordId
    /// for the orders older than it (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-list).
    /// </summary>
    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> PendingAsync(Dictionary<string, string> p)
    {
        if (p.TryGetValue("instType", out var type) && type != "SWAP")
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter instType error");
        }

        string? symbol = null;
        if (p.TryGetValue("instId", out var instId))
        {
            symbol = (await InstrumentOf(instId).ConfigureAwait(false)).Rules.Symbol;
        }

        var limit = 100;
        if (p.TryGetValue("limit", out var l) && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter limit error");
        }

        long? after = null;
        if (p.TryGetValue("after", out var a))
        {
            after = long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new OkxSimError(OkxWire.ParameterError, "Parameter after error");
        }

        var orders = (await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false))
            .Select(o => (Order: o, Id: long.Parse(o.ExchangeOrderId, CultureInfo.InvariantCulture)))
            .Where(o => after is null || o.Id < after)
            .OrderByDescending(o => o.Id)
            .Take(limit)
            .Select(o => o.Order)
            .ToList();
        var rules = (await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false)).ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        var overrides = orders.Select(o => OverridesOf(o.ClientOrderId)).ToList();
        return await Ok(w =>
        {
            for (var i = 0; i < orders.Count; i++)
            {
                WriteOrder(w, orders[i], ContractValue(rules[orders[i].Symbol]), null, overrides[i]);
            }
        }).ConfigureAwait(false);
    }

    internal static string StateText(OrderStatus status) => status switch
    {
        OrderStatus.New => "live",
        OrderStatus.PartiallyFilled => "partially_filled",
        OrderStatus.Filled => "filled",
        _ => "canceled",
    };

    /// <summary>One order as Get order details and the <c>orders</c> channel show it; <paramref name="overrides"/> replace fields.</summary>
    internal static void WriteOrder(Utf8JsonWriter w, Order order, decimal ctVal, Fill? fill, IReadOnlyDictionary<string, string>? overrides = null)
    {
        void Field(string name, string value) => w.WriteString(name, overrides is not null && overrides.TryGetValue(name, out var other) ? other : value);

        w.WriteStartObject();
        Field("instType", "SWAP");
        Field("instId", OkxWire.InstId(order.Symbol));
        Field("ordId", order.ExchangeOrderId);
        Field("clOrdId", order.ClientOrderId ?? "");
        Field("px", order.Type == OrderType.Limit ? D(order.Price) : "");
        Field("sz", D(order.Quantity / ctVal));
        Field("ordType", OkxWire.OrdType(order.Type, order.TimeInForce, order.PostOnly));
        Field("side", OkxWire.Side(order.Side));
        Field("posSide", "net");
        Field("tdMode", "cross");
        Field("state", StateText(order.Status));
        Field("accFillSz", D(order.FilledQuantity / ctVal));
        Field("avgPx", order.FilledQuantity > 0 ? D(order.AveragePrice) : "");
        Field("tradeId", fill?.TradeId ?? "");
        Field("fillPx", fill is null ? "" : D(fill.Price));
        Field("fillSz", fill is null ? "0" : D(fill.Quantity / ctVal));
        Field("fillTime", fill is null ? "" : OkxWire.Ms(fill.Timestamp));
        Field("fillFee", fill is null ? "0" : D(-fill.Fee));
        Field("fillFeeCcy", fill?.FeeAsset ?? "");
        Field("fillPnl", fill is null ? "0" : D(fill.RealizedPnl));
        Field("execType", fill is null ? "" : fill.IsMaker ? "M" : "T");
        Field("reduceOnly", order.ReduceOnly ? "true" : "false");
        Field("cancelSource", order.Status == OrderStatus.Canceled && order.RejectReason == OkxWire.PostOnlyCancelSource ? OkxWire.PostOnlyCancelSource : "");
        Field("cTime", OkxWire.Ms(order.CreatedAt));
        Field("uTime", OkxWire.Ms(order.UpdatedAt));
        w.WriteEndObject();
    }

    /// <summary>GET /api/v5/account/balance: every currency with a balance, or the one asked for with <c>ccy</c>.</summary>
    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> BalanceAsync(Dictionary<string, string> p)
    {
        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        var ccy = p.GetValueOrDefault("ccy");
        var extra = ExtraBalances().Where(b => ccy is null || b.Ccy == ccy).ToList();
        return await Ok(w => WriteAccount(w, account, ccy is null or "USDT", extra)).ConfigureAwait(false);
    }

    /// <summary>One account item: account-level totals and the details of the currencies given (USDT from the engine).</summary>
    internal static void WriteAccount(Utf8JsonWriter w, Account account, bool includeUsdt, IReadOnlyList<(string Ccy, decimal CashBalance)> others)
    {
        w.WriteStartObject();
        w.WriteString("totalEq", D(account.MarginBalance));
        w.WriteString("uTime", OkxWire.Ms(account.UpdateTime));
        w.WriteStartArray("details");
        if (includeUsdt)
        {
            w.WriteStartObject();
            w.WriteString("ccy", "USDT");
            w.WriteString("cashBal", D(account.WalletBalance));
            w.WriteString("eq", D(account.MarginBalance));
            w.WriteString("availEq", D(account.AvailableBalance));
            w.WriteString("availBal", D(account.AvailableBalance));
            w.WriteString("upl", D(account.UnrealizedPnl));
            w.WriteString("mmr", D(account.MaintenanceMargin));
            w.WriteString("uTime", OkxWire.Ms(account.UpdateTime));
            w.WriteEndObject();
        }

        foreach (var (ccy, cash) in others)
        {
            w.WriteStartObject();
            w.WriteString("ccy", ccy);
            w.WriteString("cashBal", D(cash));
            w.WriteString("eq", D(cash));
            w.WriteString("availEq", D(cash));
            w.WriteString("availBal", D(cash));
            w.WriteString("upl", "0");
            w.WriteString("mmr", "");
            w.WriteString("uTime", OkxWire.Ms(account.UpdateTime));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> PositionsAsync(Dictionary<string, string> p)
    {
        string? symbol = null;
        if (p.TryGetValue("instId", out var instId))
        {
            symbol = (await InstrumentOf(instId).ConfigureAwait(false)).Rules.Symbol;
        }

        var positions = await Engine.GetPositionsAsync(symbol).ConfigureAwait(false);
        var rules = (await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false)).ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        return await Ok(w =>
        {
            foreach (var position in positions)
            {
                WritePosition(w, position, ContractValue(rules[position.Symbol]));
            }
        }).ConfigureAwait(false);
    }

    internal static void WritePosition(Utf8JsonWriter w, Position position, decimal ctVal)
    {
        w.WriteStartObject();
        w.WriteString("instType", "SWAP");
        w.WriteString("instId", OkxWire.InstId(position.Symbol));
        w.WriteString("posSide", "net");
        w.WriteString("mgnMode", position.MarginType);
        w.WriteString("pos", D(position.Size / ctVal));
        w.WriteString("avgPx", D(position.EntryPrice));
        w.WriteString("markPx", D(position.MarkPrice));
        w.WriteString("upl", D(position.UnrealizedPnl));
        w.WriteString("realizedPnl", D(position.RealizedPnl));
        w.WriteString("lever", position.Leverage.ToString(CultureInfo.InvariantCulture));
        w.WriteString("liqPx", position.LiquidationPrice == 0 ? "" : D(position.LiquidationPrice));
        w.WriteString("uTime", OkxWire.Ms(position.UpdateTime));
        w.WriteEndObject();
    }
}
