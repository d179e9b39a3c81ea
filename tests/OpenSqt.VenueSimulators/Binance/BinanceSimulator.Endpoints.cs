using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Binance;

public sealed partial class BinanceSimulator
{
    // Error codes as Binance documents them (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code):
    // -2011 CANCEL_REJECTED "Unknown order sent." (unknown or already final order on cancel), -2013 NO_SUCH_ORDER
    // "Order does not exist." (query), -4061 position side does not match the account's mode, -5022 post-only would take,
    // -1125 "This listenKey does not exist.".
    private static Dictionary<string, int> Weight(int weight) => new(StringComparer.Ordinal) { [WeightLimit] = weight };

    // Request weights as each endpoint's page states them (https://developers.binance.com/docs/derivatives/usds-margined-futures/,
    // "Request Weight"; copies in rosssaunders/coincise docs/binance/usdm/endpoints/*.md at a00ae58): order 0 IP weight
    // and 1 on each order counter, batchOrders 5/5/1, cancel, batch cancel, cancel-all, query 1, countdownCancelAll 10,
    // openOrders 1 (40 without symbol), account/positionRisk/balance 5, ticker/price 1 (2), premiumIndex 1 (10),
    // ticker/24hr 1 (40), openInterest, ping, time 1, klines by limit (5 for 500-1000). fundingRate is on a separate
    // "500/5min/IP" limit shared with fundingInfo (FundingLimit), not on request weight.
    private EndpointSpec? Endpoint(string method, string path, string rawQuery)
    {
        var hasSymbol = rawQuery.Contains("symbol=", StringComparison.Ordinal);
        return (method, path) switch
        {
            ("GET", "/fapi/v1/ping") => new(Security.None, Weight(1), _ => Ok("{}")),
            ("GET", "/fapi/v1/time") => new(Security.None, Weight(1), _ => Ok($"{{\"serverTime\":{Clock.NowMilliseconds}}}")),
            ("GET", "/fapi/v1/exchangeInfo") => new(Security.None, Weight(1), _ => ExchangeInfoAsync()),
            ("POST", "/fapi/v1/order") => new(Security.Signed, new(StringComparer.Ordinal) { [Orders10SLimit] = 1, [Orders1MLimit] = 1 }, PlaceAsync),
            ("POST", "/fapi/v1/batchOrders") => new(Security.Signed, new(StringComparer.Ordinal) { [WeightLimit] = 5, [Orders10SLimit] = 5, [Orders1MLimit] = 1 }, BatchPlaceAsync),
            ("DELETE", "/fapi/v1/order") => new(Security.Signed, Weight(1), CancelAsync),
            ("DELETE", "/fapi/v1/batchOrders") => new(Security.Signed, Weight(1), BatchCancelAsync),
            ("DELETE", "/fapi/v1/allOpenOrders") => new(Security.Signed, Weight(1), CancelAllAsync),
            ("POST", "/fapi/v1/countdownCancelAll") => new(Security.Signed, Weight(10), CountdownCancelAllAsync),
            ("GET", "/fapi/v1/order") => new(Security.Signed, Weight(1), QueryOrderAsync),
            ("GET", "/fapi/v1/openOrders") => new(Security.Signed, Weight(hasSymbol ? 1 : 40), OpenOrdersAsync),
            ("GET", "/fapi/v3/account") or ("GET", "/fapi/v2/account") => new(Security.Signed, Weight(5), _ => AccountAsync()),
            ("GET", "/fapi/v2/positionRisk") or ("GET", "/fapi/v3/positionRisk") => new(Security.Signed, Weight(5), PositionRiskAsync),
            ("GET", "/fapi/v3/balance") or ("GET", "/fapi/v2/balance") => new(Security.Signed, Weight(5), _ => BalanceAsync()),
            ("GET", "/fapi/v1/ticker/price") or ("GET", "/fapi/v2/ticker/price") => new(Security.None, Weight(hasSymbol ? 1 : 2), TickerPriceAsync),
            ("GET", "/fapi/v1/klines") => new(Security.None, Weight(5), KlinesAsync),
            ("GET", "/fapi/v1/premiumIndex") => new(Security.None, Weight(hasSymbol ? 1 : 10), PremiumIndexAsync),
            ("GET", "/fapi/v1/fundingRate") => new(Security.None, new(StringComparer.Ordinal) { [FundingLimit] = 1 }, FundingHistoryAsync),
            ("GET", "/fapi/v1/ticker/24hr") => new(Security.None, Weight(hasSymbol ? 1 : 40), Tickers24hAsync),
            ("GET", "/fapi/v1/openInterest") => new(Security.None, Weight(1), OpenInterestAsync),
            ("POST", "/fapi/v1/listenKey") => new(Security.ApiKey, Weight(1), _ => ListenKeyAsync(create: true)),
            ("PUT", "/fapi/v1/listenKey") => new(Security.ApiKey, Weight(1), _ => ListenKeyAsync(create: false)),
            ("DELETE", "/fapi/v1/listenKey") => new(Security.ApiKey, Weight(1), _ => DeleteListenKeyAsync()),
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
        p.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new BinanceSimError(400, "-1102", $"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.");

    private async Task<SymbolRules> RulesOf(string symbol)
    {
        try
        {
            return await Engine.GetSymbolInfoAsync(symbol).ConfigureAwait(false);
        }
        catch (ExchangeException)
        {
            throw new BinanceSimError(400, "-1121", "Invalid symbol.");
        }
    }

    private async Task<(int, string)> ExchangeInfoAsync()
    {
        var rules = await Engine.FetchExchangeInfoAsync(null).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("timezone", "UTC");
            w.WriteNumber("serverTime", Clock.NowMilliseconds);
            w.WriteStartArray("rateLimits");
            foreach (var limit in RateLimiter.Limits.Where(l => l.Name != FundingLimit))
            {
                w.WriteStartObject();
                w.WriteString("rateLimitType", limit.Name == WeightLimit ? "REQUEST_WEIGHT" : "ORDERS");
                w.WriteString("interval", limit.Window.TotalSeconds >= 60 ? "MINUTE" : "SECOND");
                w.WriteNumber("intervalNum", limit.Window.TotalSeconds >= 60 ? (int)limit.Window.TotalMinutes : (int)limit.Window.TotalSeconds);
                w.WriteNumber("limit", limit.Limit);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("symbols");
            foreach (var r in rules)
            {
                w.WriteStartObject();
                w.WriteString("symbol", r.Symbol);
                w.WriteString("pair", r.Symbol);
                w.WriteString("contractType", "PERPETUAL");
                w.WriteString("status", "TRADING");
                w.WriteString("baseAsset", r.BaseAsset);
                w.WriteString("quoteAsset", r.QuoteAsset);
                w.WriteString("marginAsset", r.QuoteAsset);
                w.WriteNumber("pricePrecision", r.PricePrecision);
                w.WriteNumber("quantityPrecision", r.QuantityPrecision);
                w.WriteStartArray("filters");
                w.WriteStartObject();
                w.WriteString("filterType", "PRICE_FILTER");
                w.WriteString("minPrice", D(r.TickSize));
                w.WriteString("maxPrice", "10000000");
                w.WriteString("tickSize", D(r.TickSize));
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString("filterType", "LOT_SIZE");
                w.WriteString("minQty", D(r.MinQuantity));
                w.WriteString("maxQty", D(r.MaxQuantity ?? 1_000_000_000m));
                w.WriteString("stepSize", D(r.StepSize));
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString("filterType", "MIN_NOTIONAL");
                w.WriteString("notional", D(r.MinNotional));
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteStartArray("orderTypes");
                w.WriteStringValue("LIMIT");
                w.WriteStringValue("MARKET");
                w.WriteEndArray();
                w.WriteStartArray("timeInForce");
                foreach (var tif in new[] { "GTC", "IOC", "FOK", "GTX" })
                {
                    w.WriteStringValue(tif);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private async Task<OrderRequest> ValidateOrderAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        var rules = await RulesOf(symbol).ConfigureAwait(false);
        var side = Required(p, "side") switch
        {
            "BUY" => OrderSide.Buy,
            "SELL" => OrderSide.Sell,
            _ => throw new BinanceSimError(400, "-1117", "Invalid side."),
        };
        var type = Required(p, "type") switch
        {
            "LIMIT" => OrderType.Limit,
            "MARKET" => OrderType.Market,
            _ => throw new BinanceSimError(400, "-1116", "Invalid orderType."),
        };
        var positionSide = p.GetValueOrDefault("positionSide", "BOTH");
        if (HedgeMode && positionSide == "BOTH")
        {
            throw new BinanceSimError(400, "-4061", "Order's position side does not match user's setting.");
        }

        if (!HedgeMode && positionSide != "BOTH")
        {
            throw new BinanceSimError(400, "-4061", "Order's position side does not match user's setting.");
        }

        if (!decimal.TryParse(Required(p, "quantity"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var quantity))
        {
            throw new BinanceSimError(400, "-1102", "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
        }

        if (quantity <= 0)
        {
            throw new BinanceSimError(400, "-4003", "Quantity less than or equal to zero.");
        }

        if (!rules.IsOnStep(quantity))
        {
            throw new BinanceSimError(400, "-4023", "Qty not increased by step size.");
        }

        if (quantity < rules.MinQuantity || (rules.MaxQuantity is { } max && quantity > max))
        {
            throw new BinanceSimError(400, "-4005", "Quantity outside the LOT_SIZE filter.");
        }

        decimal? price = null;
        var tif = TimeInForce.Gtc;
        if (type == OrderType.Limit)
        {
            if (!decimal.TryParse(Required(p, "price"), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var limit) || limit <= 0)
            {
                throw new BinanceSimError(400, "-1102", "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
            }

            if (!rules.IsOnTick(limit))
            {
                throw new BinanceSimError(400, "-4014", "Price not increased by tick size.");
            }

            price = limit;
            tif = Required(p, "timeInForce") switch
            {
                "GTC" => TimeInForce.Gtc,
                "IOC" => TimeInForce.Ioc,
                "FOK" => TimeInForce.Fok,
                "GTX" => TimeInForce.Gtx,
                _ => throw new BinanceSimError(400, "-1115", "Invalid timeInForce."),
            };
        }
        else if (p.ContainsKey("price") || p.ContainsKey("timeInForce"))
        {
            throw new BinanceSimError(400, "-1106", "Parameter 'price' sent when not required.");
        }

        var reduceOnly = p.GetValueOrDefault("reduceOnly") switch
        {
            null or "false" => false,
            "true" => true,
            _ => throw new BinanceSimError(400, "-1102", "Parameter 'reduceOnly' malformed."),
        };
        var reference = price ?? await Engine.GetLatestPriceAsync(symbol).ConfigureAwait(false);
        if (!reduceOnly && rules.MinNotional > 0 && reference * quantity < rules.MinNotional)
        {
            throw new BinanceSimError(400, "-4164", $"Order's notional must be no smaller than {D(rules.MinNotional)} (unless you choose reduce only).");
        }

        var clientId = p.GetValueOrDefault("newClientOrderId");
        if (clientId is not null && !ClientOrderIdRule().IsMatch(clientId))
        {
            throw new BinanceSimError(400, "-4015", "Client order id is not valid.");
        }

        return new OrderRequest
        {
            Symbol = symbol,
            Side = side,
            Type = type,
            TimeInForce = tif,
            Quantity = quantity,
            Price = price,
            ReduceOnly = reduceOnly,
            ClientOrderId = clientId,
        };
    }

    private async Task<Order> PlaceOneAsync(Dictionary<string, string> p)
    {
        var request = await ValidateOrderAsync(p).ConfigureAwait(false);
        try
        {
            return await Engine.PlaceOrderAsync(request).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            throw ex.Kind switch
            {
                ExchangeErrorKind.PostOnlyRejected => new BinanceSimError(400, "-5022", "Due to the order could not be executed as maker, the Post Only order will be rejected."),
                ExchangeErrorKind.AlreadyExists => new BinanceSimError(400, "-4116", "ClientOrderId is duplicated."),
                ExchangeErrorKind.ReduceOnlyRejected => new BinanceSimError(400, "-2022", "ReduceOnly Order is rejected."),
                ExchangeErrorKind.InsufficientMargin => new BinanceSimError(400, "-2019", "Margin is insufficient."),
                ExchangeErrorKind.InvalidArgument => new BinanceSimError(400, "-4015", ex.Message),
                _ => new BinanceSimError(400, "-1000", ex.Message),
            };
        }
    }

    private async Task<(int, string)> PlaceAsync(Dictionary<string, string> p)
    {
        var order = await PlaceOneAsync(p).ConfigureAwait(false);
        if (Faults.OrderAckDelay > TimeSpan.Zero)
        {
            await Task.Delay(Faults.OrderAckDelay).ConfigureAwait(false);
        }

        if (Faults.TakeFailAfterAccept())
        {
            // Binance: "HTTP 5XX: the execution status is UNKNOWN and could have been a success".
            return (503, "Service Unavailable");
        }

        return (200, Json(w => WriteOrder(w, order, includeTime: false)));
    }

    private async Task<(int, string)> BatchPlaceAsync(Dictionary<string, string> p)
    {
        using var doc = ParseJson(Required(p, "batchOrders"), "batchOrders");
        var items = doc.RootElement;
        if (items.ValueKind != JsonValueKind.Array || items.GetArrayLength() is 0 or > 5)
        {
            throw new BinanceSimError(400, "-1130", "Data sent for parameter 'batchOrders' is not valid: between 1 and 5 orders.");
        }

        if (!Faults.AdmitBatchCall(items.GetArrayLength()))
        {
            // A batch counts against the order-rate limits as a whole call (batchOrders: weight 5, ORDERS 5 per 10 s
            // and 1 per minute, https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Place-Multiple-Orders);
            // over them the call is refused with 429 -1015 and nothing is placed.
            throw new BinanceSimError(429, "-1015", "Too many new orders; current limit is 300 orders per TEN_SECONDS.");
        }

        var results = new List<(Order? Order, BinanceSimError? Error)>();
        foreach (var item in items.EnumerateArray())
        {
            var fields = item.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.ValueKind == JsonValueKind.String ? f.Value.GetString()! : f.Value.GetRawText(), StringComparer.Ordinal);
            try
            {
                results.Add((await PlaceOneAsync(fields).ConfigureAwait(false), null));
            }
            catch (BinanceSimError error)
            {
                results.Add((null, error));
            }
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var (order, error) in results)
            {
                if (order is not null)
                {
                    WriteOrder(w, order, includeTime: false);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteNumber("code", int.Parse(error!.Code, CultureInfo.InvariantCulture));
                    w.WriteString("msg", error.Message);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
        }));
    }

    private async Task<Order> FindAsync(Dictionary<string, string> p, string notFoundCode, string notFoundMessage)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        OrderRef reference;
        if (p.TryGetValue("orderId", out var id) && id.Length > 0)
        {
            reference = OrderRef.ByExchangeId(id);
        }
        else if (p.TryGetValue("origClientOrderId", out var clientId) && clientId.Length > 0)
        {
            reference = OrderRef.ByClientId(clientId);
        }
        else
        {
            throw new BinanceSimError(400, "-1102", "Either orderId or origClientOrderId must be sent.");
        }

        try
        {
            return await Engine.GetOrderAsync(symbol, reference).ConfigureAwait(false);
        }
        catch (ExchangeException)
        {
            throw new BinanceSimError(400, notFoundCode, notFoundMessage);
        }
    }

    private async Task<Order> CancelOneAsync(Dictionary<string, string> p)
    {
        var order = await FindAsync(p, "-2011", "Unknown order sent.").ConfigureAwait(false);
        if (!order.Status.IsOpen())
        {
            throw new BinanceSimError(400, "-2011", "Unknown order sent.");
        }

        await Engine.CancelOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
        return await Engine.GetOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId)).ConfigureAwait(false);
    }

    private async Task<(int, string)> CancelAsync(Dictionary<string, string> p)
    {
        var order = await CancelOneAsync(p).ConfigureAwait(false);
        return (200, Json(w => WriteOrder(w, order, includeTime: false)));
    }

    private async Task<(int, string)> BatchCancelAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        using var doc = ParseJson(Required(p, "orderIdList"), "orderIdList");
        if (doc.RootElement.ValueKind != JsonValueKind.Array || doc.RootElement.GetArrayLength() is 0 or > 10)
        {
            throw new BinanceSimError(400, "-1130", "Data sent for parameter 'orderIdList' is not valid: between 1 and 10 ids.");
        }

        var results = new List<(Order?, BinanceSimError?)>();
        foreach (var id in doc.RootElement.EnumerateArray())
        {
            try
            {
                results.Add((await CancelOneAsync(new Dictionary<string, string>(StringComparer.Ordinal) { ["symbol"] = symbol, ["orderId"] = id.GetRawText() }).ConfigureAwait(false), null));
            }
            catch (BinanceSimError error)
            {
                results.Add((null, error));
            }
        }

        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var (order, error) in results)
            {
                if (order is not null)
                {
                    WriteOrder(w, order, includeTime: false);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteNumber("code", int.Parse(error!.Code, CultureInfo.InvariantCulture));
                    w.WriteString("msg", error.Message);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> CancelAllAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        await Engine.CancelAllOrdersAsync(symbol).ConfigureAwait(false);
        return (200, "{\"code\":200,\"msg\":\"The operation of cancel all open order is done.\"}");
    }

    private async Task<(int, string)> QueryOrderAsync(Dictionary<string, string> p)
    {
        var order = await FindAsync(p, "-2013", "Order does not exist.").ConfigureAwait(false);
        return (200, Json(w => WriteOrder(w, order, includeTime: true)));
    }

    private async Task<(int, string)> OpenOrdersAsync(Dictionary<string, string> p)
    {
        var symbol = p.GetValueOrDefault("symbol");
        if (symbol is not null)
        {
            await RulesOf(symbol).ConfigureAwait(false);
        }

        var orders = await Engine.GetOpenOrdersAsync(symbol).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var order in orders)
            {
                WriteOrder(w, order, includeTime: true);
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> AccountAsync()
    {
        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("totalInitialMargin", D(account.MarginBalance - account.AvailableBalance));
            w.WriteString("totalMaintMargin", D(account.MaintenanceMargin));
            w.WriteString("totalWalletBalance", D(account.WalletBalance));
            w.WriteString("totalUnrealizedProfit", D(account.UnrealizedPnl));
            w.WriteString("totalMarginBalance", D(account.MarginBalance));
            w.WriteString("availableBalance", D(account.AvailableBalance));
            w.WriteString("maxWithdrawAmount", D(account.AvailableBalance));
            w.WriteStartArray("assets");
            w.WriteStartObject();
            w.WriteString("asset", "USDT");
            w.WriteString("walletBalance", D(account.WalletBalance));
            w.WriteString("unrealizedProfit", D(account.UnrealizedPnl));
            w.WriteString("marginBalance", D(account.MarginBalance));
            w.WriteString("availableBalance", D(account.AvailableBalance));
            w.WriteNumber("updateTime", account.UpdateTime.ToUnixTimeMilliseconds());
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("positions");
            foreach (var position in account.Positions)
            {
                w.WriteStartObject();
                w.WriteString("symbol", position.Symbol);
                w.WriteString("positionSide", "BOTH");
                w.WriteString("positionAmt", D(position.Size));
                w.WriteString("unrealizedProfit", D(position.UnrealizedPnl));
                w.WriteNumber("updateTime", position.UpdateTime.ToUnixTimeMilliseconds());
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }));
    }

    private async Task<(int, string)> PositionRiskAsync(Dictionary<string, string> p)
    {
        var symbol = p.GetValueOrDefault("symbol");
        var positions = await Engine.GetPositionsAsync(symbol).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var position in positions)
            {
                w.WriteStartObject();
                w.WriteString("symbol", position.Symbol);
                w.WriteString("positionAmt", D(position.Size));
                w.WriteString("entryPrice", D(position.EntryPrice));
                w.WriteString("markPrice", D(position.MarkPrice));
                w.WriteString("unRealizedProfit", D(position.UnrealizedPnl));
                w.WriteString("liquidationPrice", D(position.LiquidationPrice));
                w.WriteString("leverage", position.Leverage.ToString(CultureInfo.InvariantCulture));
                w.WriteString("marginType", position.MarginType);
                w.WriteString("positionSide", "BOTH");
                w.WriteNumber("updateTime", position.UpdateTime.ToUnixTimeMilliseconds());
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> BalanceAsync()
    {
        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("accountAlias", "SgsR");
            w.WriteString("asset", "USDT");
            w.WriteString("balance", D(account.WalletBalance));
            w.WriteString("crossWalletBalance", D(account.WalletBalance));
            w.WriteString("crossUnPnl", D(account.UnrealizedPnl));
            w.WriteString("availableBalance", D(account.AvailableBalance));
            w.WriteString("maxWithdrawAmount", D(account.AvailableBalance));
            w.WriteBoolean("marginAvailable", true);
            w.WriteNumber("updateTime", account.UpdateTime.ToUnixTimeMilliseconds());
            w.WriteEndObject();
            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> TickerPriceAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var price = await Engine.GetLatestPriceAsync(symbol).ConfigureAwait(false);
        return (200, $"{{\"symbol\":\"{symbol}\",\"price\":\"{D(price)}\",\"time\":{Clock.NowMilliseconds}}}");
    }

    private async Task<(int, string)> KlinesAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var interval = Required(p, "interval");
        if (!KlineInterval.IsValid(interval))
        {
            throw new BinanceSimError(400, "-1120", "Invalid interval.");
        }

        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 500;
        if (limit is < 1 or > 1500)
        {
            throw new BinanceSimError(400, "-1130", "Data sent for parameter 'limit' is not valid.");
        }

        var candles = await Engine.GetHistoricalKlinesAsync(symbol, interval, limit).ConfigureAwait(false);
        var span = KlineInterval.ToTimeSpan(interval);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var c in candles)
            {
                w.WriteStartArray();
                w.WriteNumberValue(c.OpenTime.ToUnixTimeMilliseconds());
                w.WriteStringValue(D(c.Open));
                w.WriteStringValue(D(c.High));
                w.WriteStringValue(D(c.Low));
                w.WriteStringValue(D(c.Close));
                w.WriteStringValue(D(c.Volume));
                w.WriteNumberValue(c.OpenTime.Add(span).ToUnixTimeMilliseconds() - 1);
                w.WriteStringValue(D(c.QuoteVolume));
                w.WriteNumberValue(0);
                w.WriteStringValue("0");
                w.WriteStringValue("0");
                w.WriteStringValue("0");
                w.WriteEndArray();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> PremiumIndexAsync(Dictionary<string, string> p)
    {
        var symbol = p.GetValueOrDefault("symbol");
        IReadOnlyList<FundingRate> rates = symbol is null
            ? await Engine.GetFundingRatesAsync().ConfigureAwait(false)
            : [await Engine.GetFundingRateAsync((await RulesOf(symbol).ConfigureAwait(false)).Symbol).ConfigureAwait(false)];
        var prices = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var rate in rates)
        {
            prices[rate.Symbol] = await Engine.GetLatestPriceAsync(rate.Symbol).ConfigureAwait(false);
        }

        void Write(Utf8JsonWriter w, FundingRate f)
        {
            w.WriteStartObject();
            w.WriteString("symbol", f.Symbol);
            w.WriteString("markPrice", D(prices[f.Symbol]));
            w.WriteString("indexPrice", D(prices[f.Symbol]));
            w.WriteString("lastFundingRate", D(f.Rate));
            w.WriteString("interestRate", "0.0001");
            w.WriteNumber("nextFundingTime", f.NextFundingTime.ToUnixTimeMilliseconds());
            w.WriteNumber("time", f.Timestamp.ToUnixTimeMilliseconds());
            w.WriteEndObject();
        }

        return (200, Json(w =>
        {
            if (symbol is not null)
            {
                Write(w, rates[0]);
                return;
            }

            w.WriteStartArray();
            foreach (var rate in rates)
            {
                Write(w, rate);
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> FundingHistoryAsync(Dictionary<string, string> p)
    {
        var symbol = (await RulesOf(Required(p, "symbol")).ConfigureAwait(false)).Symbol;
        var limit = p.TryGetValue("limit", out var l) ? int.Parse(l, CultureInfo.InvariantCulture) : 100;
        var history = await Engine.GetHistoricalFundingRatesAsync(symbol, limit).ConfigureAwait(false);
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var f in history)
            {
                w.WriteStartObject();
                w.WriteString("symbol", f.Symbol);
                w.WriteNumber("fundingTime", f.Timestamp.ToUnixTimeMilliseconds());
                w.WriteString("fundingRate", D(f.Rate));
                w.WriteString("markPrice", "0");
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> Tickers24hAsync(Dictionary<string, string> p)
    {
        var tickers = await Engine.GetTickersAsync().ConfigureAwait(false);
        var symbol = p.GetValueOrDefault("symbol");
        return (200, Json(w =>
        {
            w.WriteStartArray();
            foreach (var t in tickers.Where(t => symbol is null || t.Symbol == symbol))
            {
                w.WriteStartObject();
                w.WriteString("symbol", t.Symbol);
                w.WriteString("priceChange", D(t.PriceChange));
                w.WriteString("priceChangePercent", D(t.PriceChangePercent));
                w.WriteString("lastPrice", D(t.LastPrice));
                w.WriteString("volume", D(t.Volume));
                w.WriteString("quoteVolume", D(t.QuoteVolume));
                w.WriteNumber("openTime", t.Timestamp.AddDays(-1).ToUnixTimeMilliseconds());
                w.WriteNumber("closeTime", t.Timestamp.ToUnixTimeMilliseconds());
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }));
    }

    private async Task<(int, string)> OpenInterestAsync(Dictionary<string, string> p)
    {
        var symbol = (await RulesOf(Required(p, "symbol")).ConfigureAwait(false)).Symbol;
        var oi = await Engine.GetOpenInterestAsync(symbol).ConfigureAwait(false);
        return (200, $"{{\"openInterest\":\"{D(oi)}\",\"symbol\":\"{symbol}\",\"time\":{Clock.NowMilliseconds}}}");
    }

    private Task<(int, string)> ListenKeyAsync(bool create)
    {
        lock (_gate)
        {
            var now = Clock.GetUtcNow();
            var active = _listenKey is not null && now < _listenKeyExpires;
            if (!active)
            {
                if (!create)
                {
                    throw new BinanceSimError(400, "-1125", "This listenKey does not exist.");
                }

                _listenKey = NewListenKey();
                Interlocked.Increment(ref _listenKeysIssued);
            }

            _listenKeyExpires = now + ListenKeyValidity;
            return Ok($"{{\"listenKey\":\"{_listenKey}\"}}");
        }
    }

    private Task<(int, string)> DeleteListenKeyAsync()
    {
        lock (_gate)
        {
            _listenKey = null;
        }

        return Ok("{}");
    }

    private static string NewListenKey()
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(64, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
    }

    private static JsonDocument ParseJson(string text, string parameter)
    {
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new BinanceSimError(400, "-1130", $"Data sent for parameter '{parameter}' is not valid.");
        }
    }

    // Binance time-in-force names (https://developers.binance.com/docs/derivatives/usds-margined-futures/common-definition).
    private static string TifText(TimeInForce tif) => tif switch
    {
        TimeInForce.Ioc => "IOC",
        TimeInForce.Fok => "FOK",
        TimeInForce.Gtx => "GTX",
        _ => "GTC",
    };

    private static string StatusText(OrderStatus status) => status switch
    {
        OrderStatus.New => "NEW",
        OrderStatus.PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus.Filled => "FILLED",
        OrderStatus.Canceled => "CANCELED",
        OrderStatus.Expired => "EXPIRED",
        _ => "REJECTED",
    };

    private void WriteOrder(Utf8JsonWriter w, Order order, bool includeTime)
    {
        w.WriteStartObject();
        w.WriteNumber("orderId", long.Parse(order.ExchangeOrderId, CultureInfo.InvariantCulture));
        w.WriteString("symbol", order.Symbol);
        w.WriteString("status", Faults.ReportsUnknown(order.ClientOrderId, OrderField.Status) ? UnknownStatus : StatusText(order.Status));
        w.WriteString("clientOrderId", order.ClientOrderId);
        w.WriteString("price", D(order.Price));
        w.WriteString("avgPrice", D(order.AveragePrice));
        w.WriteString("origQty", D(order.Quantity));
        w.WriteString("executedQty", D(order.FilledQuantity));
        w.WriteString("cumQty", D(order.FilledQuantity));
        w.WriteString("cumQuote", D(order.FilledQuantity * order.AveragePrice));
        w.WriteString("timeInForce", Faults.ReportsUnknown(order.ClientOrderId, OrderField.TimeInForce) ? UnknownTimeInForce : TifText(order.TimeInForce));
        w.WriteString("type", Faults.ReportsUnknown(order.ClientOrderId, OrderField.OrderType) ? UnknownOrderType : order.Type == OrderType.Limit ? "LIMIT" : "MARKET");
        w.WriteBoolean("reduceOnly", order.ReduceOnly);
        w.WriteBoolean("closePosition", false);
        w.WriteString("side", order.Side == OrderSide.Buy ? "BUY" : "SELL");
        w.WriteString("positionSide", "BOTH");
        w.WriteString("stopPrice", "0");
        w.WriteString("workingType", "CONTRACT_PRICE");
        w.WriteBoolean("priceProtect", false);
        w.WriteString("origType", order.Type == OrderType.Limit ? "LIMIT" : "MARKET");
        w.WriteString("priceMatch", "NONE");
        w.WriteString("selfTradePreventionMode", "NONE");
        w.WriteNumber("goodTillDate", 0);
        if (includeTime)
        {
            w.WriteNumber("time", order.CreatedAt.ToUnixTimeMilliseconds());
        }

        w.WriteNumber("updateTime", order.UpdatedAt.ToUnixTimeMilliseconds());
        w.WriteEndObject();
    }
}
