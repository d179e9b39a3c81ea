using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 futures payloads into OpenSqt domain values. Sizes are contracts (signed: negative sells) and are turned
/// into base units with the contract's <c>quanto_multiplier</c>; times are seconds (often fractional) or, where Gate
/// gives them, milliseconds; numbers are read leniently (string or number, exponents included).
/// </summary>
internal static partial class GateParsers
{
    public const string Venue = "gate";

    /// <summary>Client ids travel in <c>text</c> with this prefix (Gate: "must start with t-").</summary>
    public const string TextPrefix = "t-";

    /// <summary>Gate: at most 28 bytes after the prefix, of <c>[0-9A-Za-z_.-]</c>.</summary>
    public const int MaxClientIdLength = 28;

    public static SymbolMapper Symbols { get; } = SymbolMapper.Delimited("_");

    /// <summary>The <c>text</c> for an OpenSqt client id; refuses ids Gate would refuse instead of altering them.</summary>
    public static string ToText(string clientOrderId)
    {
        if (clientOrderId.Length > MaxClientIdLength)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                $"client order id '{clientOrderId}' is {clientOrderId.Length} characters; gate allows at most {MaxClientIdLength} after the 't-' prefix");
        }

        foreach (var c in clientOrderId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                    $"client order id '{clientOrderId}' has '{c}'; gate allows only letters, digits, '_', '.' and '-'");
            }
        }

        return TextPrefix + clientOrderId;
    }

    /// <summary>The OpenSqt client id of a <c>text</c>: null for orders not placed through the API with an id ("api", "web", "liquidation" ...).</summary>
    public static string? FromText(string? text) =>
        text is not null && text.StartsWith(TextPrefix, StringComparison.Ordinal) && text.Length > TextPrefix.Length ? text[TextPrefix.Length..] : null;

    public static string FormatTimeInForce(TimeInForce tif) => tif switch
    {
        TimeInForce.Ioc => "ioc",
        TimeInForce.Fok => "fok",
        TimeInForce.Gtx => "poc",
        _ => "gtc",
    };

    /// <summary>Gate's <c>tif</c> (gtc, ioc, poc, fok; absent means gtc); false for a value this connector does not know.</summary>
    public static bool TryParseTimeInForce(string? tif, out TimeInForce timeInForce)
    {
        (var known, timeInForce) = tif switch
        {
            "gtc" or null or "" => (true, TimeInForce.Gtc),
            "ioc" => (true, TimeInForce.Ioc),
            "fok" => (true, TimeInForce.Fok),
            "poc" => (true, TimeInForce.Gtx),
            _ => (false, TimeInForce.Gtc),
        };
        return known;
    }

    /// <summary>
    /// <c>status</c> and <c>finish_as</c> onto an OpenSqt status: open orders are new or partially filled; finished ones
    /// filled (also liquidated and auto-deleveraged, which fill), cancelled (by the user, reduce-only or a closed position),
    /// or expired (IOC or FOK remainder, self-trade prevention). The WebSocket's <c>_new</c>/<c>_update</c> are open states.
    /// Values this connector does not know are not an error: a finished order with an unknown <c>finish_as</c> is filled
    /// when nothing is left and cancelled otherwise, and an unknown <c>status</c> without an outcome is taken as open;
    /// <paramref name="known"/> is false then, for the caller to log and count. Callers do not take that guess:
    /// <see cref="GateUnknownValues"/> answers such an order as <see cref="OrderStatus.Unknown"/> to a single read and
    /// skips it in lists and on the order stream.
    /// </summary>
    public static OrderStatus ParseStatus(string? status, string? finishAs, bool partlyFilled, bool nothingLeft, out bool known)
    {
        known = true;
        if (status == "open" || finishAs is "_new" or "_update")
        {
            return partlyFilled ? OrderStatus.PartiallyFilled : OrderStatus.New;
        }

        switch (finishAs)
        {
            case "filled" or "liquidated" or "auto_deleveraged":
                return OrderStatus.Filled;
            case "cancelled" or "reduce_only" or "position_closed" or "reduce_out":
                return OrderStatus.Canceled;
            case "ioc" or "stp" or "fok" or "poc":
                return OrderStatus.Expired;
        }

        known = false;
        if (status == "finished" || !string.IsNullOrEmpty(finishAs))
        {
            return nothingLeft ? OrderStatus.Filled : OrderStatus.Canceled;
        }

        return partlyFilled ? OrderStatus.PartiallyFilled : OrderStatus.New;
    }

    /// <summary>
    /// The candlestick intervals Gate serves that OpenSqt names (ccxt ts/src/gate.ts <c>timeframes</c>: 10s, 1m, 5m,
    /// 15m, 30m, 1h, 2h, 4h, 8h, 1d, 7d). OpenSqt's 3m, 6h and 12h are not among them.
    /// </summary>
    public static IReadOnlyList<string> CandleIntervals { get; } = ["1m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "1d"];

    /// <summary>Refuses an interval Gate does not serve before anything is sent, naming the ones it does.</summary>
    public static void RequireCandleInterval(string interval)
    {
        if (!CandleIntervals.Contains(interval, StringComparer.Ordinal))
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                $"interval '{interval}' is not served by gate; use one of {string.Join(", ", CandleIntervals)}");
        }
    }

    /// <summary>Seconds (fractional or whole, string or number) to a time.</summary>
    public static DateTimeOffset FromSeconds(decimal seconds) => DateTimeOffset.FromUnixTimeMilliseconds(decimal.ToInt64(decimal.Round(seconds * 1000m, 0, MidpointRounding.AwayFromZero)));

    /// <summary>The time of a field pair: <c>name_ms</c> when Gate sends it, else <c>name</c> in seconds; null when neither is set.</summary>
    public static DateTimeOffset? TimeOf(JsonElement e, string name)
    {
        if (e.TryGetProperty(name + "_ms", out var ms) && ms.ValueKind != JsonValueKind.Null && VenueJson.ToDecimal(ms, name + "_ms") is var m && m > 0)
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(decimal.ToInt64(m));
        }

        if (e.TryGetProperty(name, out var s) && s.ValueKind != JsonValueKind.Null && VenueJson.ToDecimal(s, name) is var sec && sec > 0)
        {
            return FromSeconds(sec);
        }

        return null;
    }

    /// <summary>An order as answered by place, cancel, get, list and pushed on <c>futures.orders</c>.</summary>
    public static Order ParseOrder(JsonElement e, decimal multiplier) => ParseOrder(e, multiplier, out _);

    /// <summary>
    /// As <see cref="ParseOrder(JsonElement, decimal)"/>; <paramref name="unknown"/> names a <c>tif</c>, <c>status</c> or
    /// <c>finish_as</c> this connector does not know (the order is still parsed: an unknown tif reads as gtc, Gate's
    /// default), or is null.
    /// </summary>
    public static Order ParseOrder(JsonElement e, decimal multiplier, out string? unknown)
    {
        unknown = null;
        var size = e.GetDecimal("size");
        var left = e.GetDecimal("left");
        var filledContracts = Math.Abs(size) - Math.Abs(left);
        var price = e.GetDecimal("price");
        var tifText = e.GetStringOrNull("tif");
        if (!TryParseTimeInForce(tifText, out var tif))
        {
            unknown = "tif=" + tifText;
        }

        var statusText = e.GetStringOrNull("status");
        var finishAs = e.GetStringOrNull("finish_as");
        var status = ParseStatus(statusText, finishAs, filledContracts > 0, left == 0, out var statusKnown);
        if (!statusKnown)
        {
            unknown = $"status={statusText} finish_as={finishAs}";
        }

        var created = TimeOf(e, "create_time") ?? DateTimeOffset.UnixEpoch;
        var updated = TimeOf(e, "finish_time") ?? TimeOf(e, "update_time") ?? created;
        var reduceOnly = e.TryGetProperty("is_reduce_only", out _) && e.GetBoolean("is_reduce_only");
        return new Order
        {
            ExchangeOrderId = e.GetRequiredString("id"),
            ClientOrderId = FromText(e.GetStringOrNull("text")),
            Symbol = Symbols.FromVenue(e.GetRequiredString("contract")),
            Side = size >= 0 ? OrderSide.Buy : OrderSide.Sell,
            Type = price == 0 ? OrderType.Market : OrderType.Limit,
            TimeInForce = tif,
            Price = price,
            Quantity = ContractSize.ToBase(Math.Abs(size), multiplier),
            FilledQuantity = ContractSize.ToBase(filledContracts, multiplier),
            AveragePrice = e.GetDecimal("fill_price"),
            Status = status,
            ReduceOnly = reduceOnly,
            PostOnly = tif == TimeInForce.Gtx,
            CreatedAt = created,
            UpdatedAt = updated,
        };
    }

    /// <summary>
    /// The items of a batch place answer: orders with <c>succeeded:true</c>, and failures with their label
    /// (<c>{"succeeded":false,"label","message"}</c>).
    /// </summary>
    public static IReadOnlyList<(Order? Order, VenueFailure? Error)> ParseBatchOrders(JsonElement array, Func<string, decimal> multiplierOf)
    {
        var results = new List<(Order?, VenueFailure?)>();
        foreach (var item in array.EnumerateArray())
        {
            results.Add(IsSucceeded(item)
                ? (ParseOrder(item, multiplierOf(item.GetRequiredString("contract"))), null)
                : (null, GateErrors.Table.ToFailure(item.GetStringOrNull("label") ?? "UNKNOWN", item.GetStringOrNull("message") ?? item.GetStringOrNull("detail"), 400)));
        }

        return results;
    }

    /// <summary>Whether a batch item succeeded (absent means it did: plain order objects).</summary>
    public static bool IsSucceeded(JsonElement item) => !item.TryGetProperty("succeeded", out _) || item.GetBoolean("succeeded");

    /// <summary>The USDT-settled linear contracts of GET /futures/usdt/contracts; inverse (quanto 0) and delisting contracts are left out.</summary>
    public static IReadOnlyList<GateContract> ParseContracts(JsonElement array)
    {
        var contracts = new List<GateContract>();
        foreach (var e in array.EnumerateArray())
        {
            var multiplier = e.GetDecimal("quanto_multiplier");
            var delisting = e.TryGetProperty("in_delisting", out _) && e.GetBoolean("in_delisting");
            var name = e.GetRequiredString("name");
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (multiplier <= 0 || delisting || underscore <= 0 || e.GetStringOrNull("type") == "inverse")
            {
                continue;
            }

            var max = e.GetDecimal("order_size_max");
            var contractRules = new SymbolRules
            {
                Symbol = Symbols.FromVenue(name),
                BaseAsset = name[..underscore],
                QuoteAsset = name[(underscore + 1)..],
                TickSize = e.GetDecimal("order_price_round"),
                StepSize = 1m,
                MinQuantity = Math.Max(1m, e.GetDecimal("order_size_min")),
                MaxQuantity = max > 0 ? max : null,
            };
            contracts.Add(new GateContract(
                name,
                ContractSize.RulesInBase(contractRules, multiplier),
                multiplier,
                e.GetDecimal("funding_rate"),
                e.GetDecimal("funding_rate_indicative"),
                DateTimeOffset.FromUnixTimeSeconds(e.GetInt64("funding_next_apply")),
                TimeSpan.FromSeconds(e.GetInt64("funding_interval"))));
        }

        return contracts;
    }

    /// <summary>GET /futures/usdt/accounts.</summary>
    public static Account ParseAccount(JsonElement e, IReadOnlyList<Position> positions, DateTimeOffset now)
    {
        var total = e.GetDecimal("total");
        var unrealised = e.GetDecimal("unrealised_pnl");
        return new Account
        {
            WalletBalance = total,
            MarginBalance = total + unrealised,
            AvailableBalance = e.GetDecimal("available"),
            UnrealizedPnl = unrealised,
            MaintenanceMargin = e.GetDecimal("maint_margin"),
            Positions = positions,
            UpdateTime = now,
        };
    }

    /// <summary>The account's user id, needed in private channel payloads.</summary>
    public static string ParseUserId(JsonElement account) => account.GetRequiredString("user");

    /// <summary>
    /// A position of GET /futures/usdt/positions or <c>futures.positions</c>. Gate's <c>leverage</c> 0 means cross margin.
    /// A dual-mode (hedge) position is refused: OpenSqt trades single-mode positions only.
    /// </summary>
    public static Position ParsePosition(JsonElement e, decimal multiplier, DateTimeOffset now)
    {
        var mode = e.GetStringOrNull("mode");
        if (mode is not null && mode.StartsWith("dual", StringComparison.Ordinal))
        {
            throw new ExchangeException(ExchangeErrorKind.PositionModeMismatch,
                "the gate futures account is in dual (hedge) mode; OpenSqt trades single-mode positions only: switch to single mode and restart");
        }

        var leverage = e.GetDecimal("leverage");
        return new Position
        {
            Symbol = Symbols.FromVenue(e.GetRequiredString("contract")),
            Size = ContractSize.ToBase(e.GetDecimal("size"), multiplier),
            EntryPrice = e.GetDecimal("entry_price"),
            MarkPrice = e.GetDecimal("mark_price"),
            UnrealizedPnl = e.GetDecimal("unrealised_pnl"),
            RealizedPnl = e.GetDecimal("realised_pnl"),
            Leverage = (int)(leverage > 0 ? leverage : e.GetDecimal("cross_leverage_limit")),
            MarginType = leverage > 0 ? "isolated" : "cross",
            LiquidationPrice = e.GetDecimal("liq_price"),
            UpdateTime = TimeOf(e, "time") ?? TimeOf(e, "update_time") ?? now,
        };
    }

    /// <summary>GET /futures/usdt/tickers element or a <c>futures.tickers</c> item.</summary>
    public static Ticker ParseTicker(JsonElement e, decimal multiplier, DateTimeOffset now)
    {
        var last = e.GetDecimal("last");
        var percent = e.GetDecimal("change_percentage");
        var open = percent == -100m ? 0m : last / (1m + (percent / 100m));
        return new Ticker
        {
            Symbol = Symbols.FromVenue(e.GetRequiredString("contract")),
            LastPrice = last,
            PriceChangePercent = percent,
            PriceChange = last - open,
            Volume = e.TryGetProperty("volume_24h_base", out _) ? e.GetDecimal("volume_24h_base") : ContractSize.ToBase(e.GetDecimal("volume_24h"), multiplier),
            QuoteVolume = e.GetDecimal("volume_24h_quote"),
            OpenInterest = ContractSize.ToBase(e.GetDecimal("total_size"), multiplier),
            Timestamp = now,
        };
    }

    /// <summary>The funding of a ticker item; the next funding time comes from the contract's schedule.</summary>
    public static FundingRate ParseTickerFunding(JsonElement e, GateContract contract, DateTimeOffset now) => new()
    {
        Exchange = Venue,
        Symbol = contract.Symbol,
        Rate = e.GetDecimal("funding_rate"),
        PredictedRate = e.GetDecimal("funding_rate_indicative"),
        NextFundingTime = contract.NextFundingAfter(now),
        Timestamp = now,
    };

    /// <summary>The funding of a contract object.</summary>
    public static FundingRate ContractFunding(GateContract contract, DateTimeOffset now) => new()
    {
        Exchange = Venue,
        Symbol = contract.Symbol,
        Rate = contract.FundingRate,
        PredictedRate = contract.IndicativeFundingRate,
        NextFundingTime = contract.NextFundingAfter(now),
        Timestamp = now,
    };

    /// <summary>GET /futures/usdt/funding_rate items <c>{t, r}</c>.</summary>
    public static FundingRate ParseFundingHistory(JsonElement e, string symbol) => new()
    {
        Exchange = Venue,
        Symbol = symbol,
        Rate = e.GetDecimal("r"),
        Timestamp = DateTimeOffset.FromUnixTimeSeconds(e.GetInt64("t")),
    };

    /// <summary>
    /// A candle of GET /futures/usdt/candlesticks (<c>{t,v,c,h,l,o,sum}</c>) or <c>futures.candlesticks</c>
    /// (<c>{t,v,c,h,l,o,n,a,w}</c>): <c>t</c> in seconds, <c>v</c> in contracts, <c>sum</c> the quote volume.
    /// </summary>
    public static Candle ParseCandle(JsonElement e, string symbol, string interval, decimal multiplier, DateTimeOffset now)
    {
        var open = DateTimeOffset.FromUnixTimeSeconds(e.GetInt64("t"));
        var closed = e.TryGetProperty("w", out _) ? e.GetBoolean("w") : open + KlineInterval.ToTimeSpan(interval) <= now;
        return new Candle
        {
            Symbol = symbol,
            Interval = interval,
            OpenTime = open,
            Open = e.GetDecimal("o"),
            High = e.GetDecimal("h"),
            Low = e.GetDecimal("l"),
            Close = e.GetDecimal("c"),
            Volume = e.TryGetProperty("a", out _) ? e.GetDecimal("a") : ContractSize.ToBase(e.GetDecimal("v"), multiplier),
            QuoteVolume = e.GetDecimal("sum"),
            IsClosed = closed,
        };
    }

    /// <summary>The <c>n</c> of a <c>futures.candlesticks</c> item, <c>"1m_BTC_USDT"</c>, split into interval and contract.</summary>
    public static (string Interval, string Contract) ParseCandleName(string name)
    {
        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        return underscore <= 0
            ? throw new ExchangeException(ExchangeErrorKind.Internal, $"gate sent a candlestick name '{name}' without an interval")
            : (name[..underscore], name[(underscore + 1)..]);
    }

    /// <summary>A <c>futures.usertrades</c> item (<c>id</c>) or a GET /futures/usdt/my_trades item (<c>trade_id</c>).</summary>
    public static GateUserTrade ParseUserTrade(JsonElement e) => new(
        e.GetStringOrNull("id") ?? e.GetRequiredString("trade_id"),
        e.GetRequiredString("order_id"),
        e.GetRequiredString("contract"),
        e.GetDecimal("size"),
        e.GetDecimal("price"),
        e.GetDecimal("fee"),
        e.GetStringOrNull("role") == "maker",
        TimeOf(e, "create_time") ?? DateTimeOffset.UnixEpoch);

    /// <summary>Several fills of one order (between two order updates) as one: summed size and fee, volume-weighted price, the last trade's id.</summary>
    public static Fill MergeFills(IReadOnlyList<GateUserTrade> trades, Order order, decimal multiplier)
    {
        var contracts = trades.Sum(t => Math.Abs(t.Size));
        var price = contracts == 0 ? trades[^1].Price : trades.Sum(t => Math.Abs(t.Size) * t.Price) / contracts;
        return new Fill
        {
            TradeId = trades[^1].TradeId,
            ExchangeOrderId = order.ExchangeOrderId,
            ClientOrderId = order.ClientOrderId,
            Symbol = order.Symbol,
            Side = order.Side,
            Price = price,
            Quantity = ContractSize.ToBase(contracts, multiplier),
            Fee = trades.Sum(t => t.Fee),
            FeeAsset = "USDT",
            IsMaker = trades[^1].IsMaker,
            Timestamp = trades[^1].Time,
        };
    }

    /// <summary>GET /spot/time: <c>{"server_time": ms}</c>, the number sometimes written as a string.</summary>
    public static long ParseServerTime(JsonElement e) => e.GetInt64("server_time");

    /// <summary>A <c>futures.balances</c> item: the new balance (a float on the wire), the change and its time.</summary>
    public static (decimal Balance, decimal Change, string Type, DateTimeOffset Time) ParseBalanceUpdate(JsonElement e) =>
        (e.GetDecimal("balance"), e.GetDecimal("change"), e.GetStringOrNull("type") ?? "", TimeOf(e, "time") ?? DateTimeOffset.UnixEpoch);

    /// <summary>The <c>contract</c> a private or public push item is about, as an OpenSqt symbol.</summary>
    public static string SymbolOf(JsonElement e) => Symbols.FromVenue(e.GetRequiredString("contract"));

    public static string Format(decimal value) => VenueJson.Format(value);

    public static string FormatSize(decimal contracts, OrderSide side) =>
        (side == OrderSide.Buy ? contracts : -contracts).ToString("0", CultureInfo.InvariantCulture);
    /// <summary>The item of <paramref name="contract"/> in a tickers answer; NOT_FOUND with <paramref name="missing"/> when it has none.</summary>
    public static JsonElement TickerItem(JsonElement array, string contract, string missing)
    {
        var item = array.EnumerateArray().FirstOrDefault(e => e.GetStringOrNull("contract") == contract);
        return item.ValueKind == JsonValueKind.Object ? item : throw new ExchangeException(ExchangeErrorKind.NotFound, missing);
    }

    /// <summary>The request body of one order (an object) or of a batch (an array).</summary>
    public static string OrderBody(IReadOnlyList<OrderRequest> requests, IReadOnlyList<GateContract> contracts, bool single) => VenueJson.Write(w =>
    {
        if (!single)
        {
            w.WriteStartArray();
        }

        for (var i = 0; i < requests.Count; i++)
        {
            WriteOrder(w, requests[i], contracts[i]);
        }

        if (!single)
        {
            w.WriteEndArray();
        }
    });

    private static void WriteOrder(Utf8JsonWriter w, OrderRequest request, GateContract contract)
    {
        var limitPrice = OrderChecks.Validate(request);
        var contracts = ContractSize.ToContracts(request.Quantity, contract.Multiplier);
        ContractSize.FormatWhole(contracts);
        w.WriteStartObject();
        w.WriteString("contract", contract.Name);
        w.WriteNumber("size", request.Side == OrderSide.Buy ? decimal.ToInt64(contracts) : -decimal.ToInt64(contracts));
        if (limitPrice is not { } price)
        {
            // Gate: a market order is price "0" with tif ioc.
            w.WriteString("price", "0");
            w.WriteString("tif", "ioc");
        }
        else
        {
            if (price <= 0)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"price {VenueJson.Format(price)} must be positive");
            }

            w.WriteString("price", VenueJson.Format(price));
            w.WriteString("tif", FormatTimeInForce(OrderChecks.SentTimeInForce(request)));
        }

        if (!string.IsNullOrEmpty(request.ClientOrderId))
        {
            w.WriteString("text", ToText(request.ClientOrderId));
        }

        if (request.ReduceOnly)
        {
            w.WriteBoolean("reduce_only", true);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// The items of a <c>batch_cancel_orders</c> answer Gate did not cancel, by position in <paramref name="sent"/>: an
    /// unanswered id as <see cref="ExchangeErrorKind.UnknownOutcome"/>, a failed item as
    /// <see cref="ExchangeErrorKind.Rejected"/> carrying Gate's <c>message</c> as it came.
    /// </summary>
    public static IReadOnlyList<(int Position, ExchangeException Error)> ParseBatchCancel(JsonElement array, IReadOnlyList<string> sent)
    {
        var byId = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var item in array.EnumerateArray())
        {
            byId[item.GetRequiredString("id")] = item;
        }

        var refused = new List<(int, ExchangeException)>();
        for (var i = 0; i < sent.Count; i++)
        {
            if (!byId.TryGetValue(sent[i], out var item))
            {
                refused.Add((i, new ExchangeException(ExchangeErrorKind.UnknownOutcome, $"gate did not answer for order {sent[i]}")));
            }
            else if (!IsSucceeded(item))
            {
                refused.Add((i, new ExchangeException(ExchangeErrorKind.Rejected, item.GetStringOrNull("message") ?? "")));
            }
        }

        return refused;
    }
}

/// <summary>Gate's contract list, by OpenSqt symbol and by Gate contract name.</summary>
internal sealed class GateContractCache(IReadOnlyList<GateContract> contracts)
{
    private readonly Dictionary<string, GateContract> _bySymbol = contracts.ToDictionary(c => c.Symbol, StringComparer.Ordinal);
    private readonly Dictionary<string, GateContract> _byName = contracts.ToDictionary(c => c.Name, StringComparer.Ordinal);

    public IReadOnlyList<GateContract> All { get; } = contracts;

    public GateContract BySymbol(string symbol) =>
        _bySymbol.TryGetValue(symbol, out var contract)
            ? contract
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not a trading USDT perpetual on gate");

    public GateContract ByName(string name) =>
        _byName.TryGetValue(name, out var contract)
            ? contract
            : throw new ExchangeException(ExchangeErrorKind.Internal, $"gate answered for contract '{name}', which its contract list does not have");

    public bool TryByName(string name, out GateContract contract) => _byName.TryGetValue(name, out contract!);
}
