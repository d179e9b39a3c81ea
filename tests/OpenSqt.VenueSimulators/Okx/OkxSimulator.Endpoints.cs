using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;

namespace OpenSqt.VenueSimulators.Okx;

public sealed partial class OkxSimulator
{
    private static Dictionary<string, int> Cost(string rule) => new(StringComparer.Ordinal) { [rule] = 1 };

    private EndpointSpec? Endpoint(string method, string path) => (method, path) switch
    {
        ("GET", "/api/v5/public/time") => new(false, Cost(OkxRateLimits.Market), (_, _) => Ok(w =>
        {
            w.WriteStartObject();
            w.WriteString("ts", Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        })),
        ("GET", "/api/v5/public/instruments") => new(false, Cost(OkxRateLimits.Market), (p, _) => InstrumentsAsync(p)),
        ("GET", "/api/v5/market/ticker") => new(false, Cost(OkxRateLimits.Market), (p, _) => TickersAsync(Required(p, "instId"))),
        ("GET", "/api/v5/market/tickers") => new(false, Cost(OkxRateLimits.Market), (p, _) => RequireSwap(p) ? TickersAsync(null) : throw new OkxSimError("51000", "Parameter instType error")),
        ("GET", "/api/v5/market/candles") => new(false, Cost(OkxRateLimits.Market), (p, _) => CandlesAsync(p)),
        ("GET", "/api/v5/public/funding-rate") => new(false, Cost(OkxRateLimits.Market), (p, _) => FundingAsync(p)),
        ("GET", "/api/v5/public/funding-rate-history") => new(false, Cost(OkxRateLimits.Market), (p, _) => FundingHistoryAsync(p)),
        ("GET", "/api/v5/public/open-interest") => new(false, Cost(OkxRateLimits.Market), (p, _) => OpenInterestAsync(p)),
        ("POST", "/api/v5/trade/order") => new(true, Cost(OkxRateLimits.Trade), (_, j) => PlaceAsync(j)),
        ("POST", "/api/v5/trade/batch-orders") => new(true, Cost(OkxRateLimits.Trade), (_, j) => BatchAsync(j, PlaceItemAsync)),
        ("POST", "/api/v5/trade/cancel-order") => new(true, Cost(OkxRateLimits.Trade), (_, j) => ItemsAnswer([CancelItemAsync(Fields(j))])),
        ("POST", "/api/v5/trade/cancel-batch-orders") => new(true, Cost(OkxRateLimits.Trade), (_, j) => BatchAsync(j, CancelItemAsync)),
        ("GET", "/api/v5/trade/order") => new(true, Cost(OkxRateLimits.Query), (p, _) => OrderDetailAsync(p)),
        ("GET", "/api/v5/trade/orders-pending") => new(true, Cost(OkxRateLimits.Query), (p, _) => PendingAsync(p)),
        ("GET", "/api/v5/account/balance") => new(true, Cost(OkxRateLimits.Account), (p, _) => BalanceAsync(p)),
        ("GET", "/api/v5/account/positions") => new(true, Cost(OkxRateLimits.Account), (p, _) => PositionsAsync(p)),
        _ => null,
    };

    private static Task<(string, string, Action<Utf8JsonWriter>?, int)> Ok(Action<Utf8JsonWriter> data) =>
        Task.FromResult<(string, string, Action<Utf8JsonWriter>?, int)>(("0", "", data, 200));

    private static bool RequireSwap(Dictionary<string, string> p) => p.GetValueOrDefault("instType") == "SWAP";

    private static string Required(Dictionary<string, string> p, string name) =>
        p.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new OkxSimError("51000", $"Parameter {name} error");

    /// <summary>The engine rules and contract value of an OKX SWAP instrument id.</summary>
    private async Task<(SymbolRules Rules, decimal CtVal)> InstrumentOf(string instId)
    {
        if (!instId.EndsWith("-USDT-SWAP", StringComparison.Ordinal))
        {
            throw new OkxSimError(OkxErrors.InstrumentNotExist, $"Instrument ID {instId} does not exist.");
        }

        try
        {
            var rules = await Engine.GetSymbolInfoAsync(OkxParsers.Symbols.FromVenue(instId)).ConfigureAwait(false);
            return (rules, ContractValue(rules));
        }
        catch (ExchangeException)
        {
            throw new OkxSimError(OkxErrors.InstrumentNotExist, $"Instrument ID {instId} does not exist.");
        }
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> InstrumentsAsync(Dictionary<string, string> p)
    {
        if (!RequireSwap(p))
        {
            throw new OkxSimError("51000", "Parameter instType error");
        }

        var rules = await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false);
        return await Ok(w =>
        {
            foreach (var r in rules)
            {
                var ctVal = ContractValue(r);
                w.WriteStartObject();
                w.WriteString("instType", "SWAP");
                w.WriteString("instId", OkxParsers.Symbols.ToVenue(r.Symbol));
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
        w.WriteString("instId", OkxParsers.Symbols.ToVenue(t.Symbol));
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
        string interval;
        try
        {
            interval = OkxParsers.ParseBar(p.GetValueOrDefault("bar", "1m"));
        }
        catch (ExchangeException)
        {
            throw new OkxSimError("51000", "Parameter bar error");
        }

        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        if (limit is < 1 or > 300)
        {
            throw new OkxSimError("51000", "Parameter limit error");
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
        w.WriteString("instId", OkxParsers.Symbols.ToVenue(f.Symbol));
        w.WriteString("fundingRate", D(f.Rate));
        w.WriteString("nextFundingRate", D(f.PredictedRate));
        w.WriteString("fundingTime", f.NextFundingTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("ts", f.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> FundingAsync(Dictionary<string, string> p)
    {
        var (rules, _) = await InstrumentOf(Required(p, "instId")).ConfigureAwait(false);
        var funding = await Engine.GetFundingRateAsync(rules.Symbol).ConfigureAwait(false);
        return await Ok(w => WriteFunding(w, funding)).ConfigureAwait(false);
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
                w.WriteString("instId", OkxParsers.Symbols.ToVenue(f.Symbol));
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
            w.WriteString("instId", OkxParsers.Symbols.ToVenue(rules.Symbol));
            w.WriteString("oi", D(oi / ctVal));
            w.WriteString("oiCcy", D(oi));
            w.WriteString("ts", Clock.NowMilliseconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Dictionary<string, string> Fields(JsonElement item) => item.ValueKind == JsonValueKind.Object
        ? item.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.ValueKind == JsonValueKind.String ? f.Value.GetString()! : f.Value.GetRawText(), StringComparer.Ordinal)
        : throw new OkxSimError("50002", "Json data format error");

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

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> BatchAsync(JsonElement json, Func<Dictionary<string, string>, Task<ItemResult>> handle)
    {
        if (json.ValueKind != JsonValueKind.Array || json.GetArrayLength() is 0 or > MaxBatch)
        {
            throw new OkxSimError("51000", $"Parameter batch error: 1 to {MaxBatch} items");
        }

        var results = new List<Task<ItemResult>>();
        foreach (var item in json.EnumerateArray())
        {
            results.Add(Task.FromResult(await handle(Fields(item)).ConfigureAwait(false)));
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
            : throw new OkxSimError("51000", $"Parameter {name} error");

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
            throw new OkxSimError("51000", "Parameter tdMode error");
        }

        if (p.GetValueOrDefault("posSide", "net") != "net")
        {
            throw new OkxSimError("51000", "Parameter posSide error");
        }

        var side = Required(p, "side") switch
        {
            "buy" => OrderSide.Buy,
            "sell" => OrderSide.Sell,
            _ => throw new OkxSimError("51000", "Parameter side error"),
        };
        var (type, tif) = Required(p, "ordType") switch
        {
            "limit" => (OrderType.Limit, TimeInForce.Gtc),
            "post_only" => (OrderType.Limit, TimeInForce.Gtx),
            "ioc" => (OrderType.Limit, TimeInForce.Ioc),
            "fok" => (OrderType.Limit, TimeInForce.Fok),
            "market" => (OrderType.Market, TimeInForce.Gtc),
            _ => throw new OkxSimError("51000", "Parameter ordType error"),
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
                throw new OkxSimError("51000", "Parameter px error");
            }
        }
        else if (p.ContainsKey("px"))
        {
            throw new OkxSimError("51000", "Parameter px error");
        }

        var reduceOnly = p.GetValueOrDefault("reduceOnly") switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new OkxSimError("51000", "Parameter reduceOnly error"),
        };
        var clientId = p.GetValueOrDefault("clOrdId");
        if (clientId is not null && !ClOrdIdRule().IsMatch(clientId))
        {
            throw new OkxSimError("51000", "Parameter clOrdId error");
        }

        if (clientId is not null)
        {
            lock (_gate)
            {
                if (_refused.Values.Any(o => o.ClientOrderId == clientId))
                {
                    throw new OkxSimError(OkxErrors.DuplicateClOrdId, "Duplicated clOrdId");
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
                RejectReason = OkxErrors.PostOnlyCancelSource,
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
                ExchangeErrorKind.AlreadyExists => new OkxSimError(OkxErrors.DuplicateClOrdId, "Duplicated clOrdId"),
                ExchangeErrorKind.ReduceOnlyRejected => new OkxSimError("51169", "Order failed because you don't have any positions in this direction for this contract to reduce or close."),
                ExchangeErrorKind.InsufficientMargin => new OkxSimError("51008", "Order failed. Insufficient USDT margin in account"),
                ExchangeErrorKind.InvalidArgument => new OkxSimError("51000", ex.Message),
                _ => new OkxSimError("50001", ex.Message),
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
            throw new OkxSimError("51000", "Parameter ordId or clOrdId error");
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

    private async Task<ItemResult> CancelItemAsync(Dictionary<string, string> p)
    {
        try
        {
            var order = await FindAsync(p).ConfigureAwait(false);
            if (order is null)
            {
                return new ItemResult(p.GetValueOrDefault("ordId"), p.GetValueOrDefault("clOrdId"), OkxErrors.CancelNotExist, "Order cancellation failed as the order does not exist.");
            }

            if (!order.Status.IsOpen())
            {
                return order.Status == OrderStatus.Filled
                    ? new ItemResult(order.ExchangeOrderId, order.ClientOrderId, OkxErrors.CancelAlreadyFilled, "Order cancellation failed as the order has been filled.")
                    : new ItemResult(order.ExchangeOrderId, order.ClientOrderId, OkxErrors.CancelAlreadyCanceled, "Order cancellation failed as the order has been canceled.");
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
        var order = await FindAsync(p).ConfigureAwait(false) ?? throw new OkxSimError(OkxErrors.OrderNotExist, "Order does not exist");
        return await Ok(w => WriteOrder(w, order, ctVal, null)).ConfigureAwait(false);
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> PendingAsync(Dictionary<string, string> p)
    {
        if (p.TryGetValue("instType", out var type) && type != "SWAP")
        {
            throw new OkxSimError("51000", "Parameter instType error");
        }

        string? symbol = null;
        if (p.TryGetValue("instId", out var instId))
        {
            symbol = (await InstrumentOf(instId).ConfigureAwait(false)).Rules.Symbol;
        }

        var orders = await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false);
        var rules = (await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false)).ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        return await Ok(w =>
        {
            foreach (var order in orders.Take(100))
            {
                WriteOrder(w, order, ContractValue(rules[order.Symbol]), null);
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

    internal static void WriteOrder(Utf8JsonWriter w, Order order, decimal ctVal, Fill? fill)
    {
        w.WriteStartObject();
        w.WriteString("instType", "SWAP");
        w.WriteString("instId", OkxParsers.Symbols.ToVenue(order.Symbol));
        w.WriteString("ordId", order.ExchangeOrderId);
        w.WriteString("clOrdId", order.ClientOrderId ?? "");
        w.WriteString("px", order.Type == OrderType.Limit ? D(order.Price) : "");
        w.WriteString("sz", D(order.Quantity / ctVal));
        w.WriteString("ordType", OkxParsers.FormatOrdType(order.Type, order.TimeInForce, order.PostOnly));
        w.WriteString("side", OkxParsers.FormatSide(order.Side));
        w.WriteString("posSide", "net");
        w.WriteString("tdMode", "cross");
        w.WriteString("state", StateText(order.Status));
        w.WriteString("accFillSz", D(order.FilledQuantity / ctVal));
        w.WriteString("avgPx", order.FilledQuantity > 0 ? D(order.AveragePrice) : "");
        w.WriteString("tradeId", fill?.TradeId ?? "");
        w.WriteString("fillPx", fill is null ? "" : D(fill.Price));
        w.WriteString("fillSz", fill is null ? "0" : D(fill.Quantity / ctVal));
        w.WriteString("fillTime", fill is null ? "" : fill.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("fillFee", fill is null ? "0" : D(-fill.Fee));
        w.WriteString("fillFeeCcy", fill?.FeeAsset ?? "");
        w.WriteString("fillPnl", fill is null ? "0" : D(fill.RealizedPnl));
        w.WriteString("execType", fill is null ? "" : fill.IsMaker ? "M" : "T");
        w.WriteString("reduceOnly", order.ReduceOnly ? "true" : "false");
        w.WriteString("cancelSource", order.Status == OrderStatus.Canceled && order.RejectReason == OkxErrors.PostOnlyCancelSource ? OkxErrors.PostOnlyCancelSource : "");
        w.WriteString("cTime", order.CreatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("uTime", order.UpdatedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }

    private async Task<(string, string, Action<Utf8JsonWriter>?, int)> BalanceAsync(Dictionary<string, string> p)
    {
        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        var ccy = p.GetValueOrDefault("ccy");
        return await Ok(w => WriteAccount(w, account, ccy)).ConfigureAwait(false);
    }

    internal static void WriteAccount(Utf8JsonWriter w, Account account, string? ccy)
    {
        w.WriteStartObject();
        w.WriteString("totalEq", D(account.MarginBalance));
        w.WriteString("uTime", account.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteStartArray("details");
        if (ccy is null or "USDT")
        {
            w.WriteStartObject();
            w.WriteString("ccy", "USDT");
            w.WriteString("cashBal", D(account.WalletBalance));
            w.WriteString("eq", D(account.MarginBalance));
            w.WriteString("availEq", D(account.AvailableBalance));
            w.WriteString("availBal", D(account.AvailableBalance));
            w.WriteString("upl", D(account.UnrealizedPnl));
            w.WriteString("mmr", D(account.MaintenanceMargin));
            w.WriteString("uTime", account.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
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
        w.WriteString("instId", OkxParsers.Symbols.ToVenue(position.Symbol));
        w.WriteString("posSide", "net");
        w.WriteString("mgnMode", position.MarginType);
        w.WriteString("pos", D(position.Size / ctVal));
        w.WriteString("avgPx", D(position.EntryPrice));
        w.WriteString("markPx", D(position.MarkPrice));
        w.WriteString("upl", D(position.UnrealizedPnl));
        w.WriteString("realizedPnl", D(position.RealizedPnl));
        w.WriteString("lever", position.Leverage.ToString(CultureInfo.InvariantCulture));
        w.WriteString("liqPx", position.LiquidationPrice == 0 ? "" : D(position.LiquidationPrice));
        w.WriteString("uTime", position.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
