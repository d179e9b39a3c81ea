using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 SWAP payloads into OpenSqt domain values. Symbols map <c>BTCUSDT</c> &lt;-&gt; <c>BTC-USDT-SWAP</c>; sizes are
/// contracts on the wire and base quantity in OpenSqt (<c>contracts * ctVal</c>), so every parser that reads a size
/// takes the instrument's contract value. <c>post_only</c> is GTX; <c>ioc</c>/<c>fok</c> are limit orders with that
/// time in force.
/// </summary>
internal static partial class OkxParsers
{
    public const string Venue = "okx";
    public const string InstType = "SWAP";

    public static SymbolMapper Symbols { get; } = SymbolMapper.Delimited("-", "-SWAP");

    [GeneratedRegex("^[A-Za-z0-9]{1,32}$")]
    private static partial Regex ClOrdIdRule();

    /// <summary>OKX clOrdId: 1-32 case-sensitive letters and digits; anything else is refused before it is sent.</summary>
    public static string CheckClientOrderId(string clientOrderId) =>
        ClOrdIdRule().IsMatch(clientOrderId)
            ? clientOrderId
            : throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"client order id '{clientOrderId}' is not valid on okx: clOrdId takes 1 to 32 letters and digits");

    public static JsonElement.ArrayEnumerator Data(JsonElement envelope) =>
        envelope.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array
            ? data.EnumerateArray()
            : throw new ExchangeException(ExchangeErrorKind.Internal, "okx answer without 'data'");

    /// <summary>The per-item result of an order operation: ids, or the mapped failure of its <c>sCode</c>.</summary>
    public static (string? OrderId, string? ClientOrderId, ExchangeException? Error) ParseItemResult(JsonElement item)
    {
        var code = item.GetStringOrNull("sCode") ?? "0";
        var orderId = item.GetStringOrNull("ordId") is { Length: > 0 } id ? id : null;
        var clientId = item.GetStringOrNull("clOrdId") is { Length: > 0 } c ? c : null;
        return code == "0"
            ? (orderId, clientId, null)
            : (orderId, clientId, OkxErrors.Table.ToFailure(code, item.GetStringOrNull("sMsg"), 200).Exception);
    }

    public static OrderSide ParseSide(string? side) => side switch
    {
        "buy" => OrderSide.Buy,
        "sell" => OrderSide.Sell,
        _ => throw new OkxUnknownValueException("side", side),
    };

    public static string FormatSide(OrderSide side) => side == OrderSide.Buy ? "buy" : "sell";

    public static (OrderType Type, TimeInForce Tif) ParseOrdType(string? ordType) =>
        TryParseOrdType(ordType) ?? throw new OkxUnknownValueException("ordType", ordType);

    /// <summary>An ordType and the time in force it carries, or null for one OKX adds later.</summary>
    public static (OrderType Type, TimeInForce Tif)? TryParseOrdType(string? ordType) => ordType switch
    {
        "limit" => (OrderType.Limit, TimeInForce.Gtc),
        "post_only" or "mmp_and_post_only" => (OrderType.Limit, TimeInForce.Gtx),
        "ioc" or "optimal_limit_ioc" => (OrderType.Limit, TimeInForce.Ioc),
        "fok" => (OrderType.Limit, TimeInForce.Fok),
        "mmp" => (OrderType.Limit, TimeInForce.Gtc),
        "market" => (OrderType.Market, TimeInForce.Ioc),
        _ => null,
    };

    public static string FormatOrdType(OrderType type, TimeInForce tif, bool postOnly) => type == OrderType.Market
        ? "market"
        : postOnly || tif == TimeInForce.Gtx ? "post_only" : tif switch
        {
            TimeInForce.Ioc => "ioc",
            TimeInForce.Fok => "fok",
            _ => "limit",
        };

    public static OrderStatus ParseState(string? state) => state switch
    {
        "live" => OrderStatus.New,
        "partially_filled" => OrderStatus.PartiallyFilled,
        "filled" => OrderStatus.Filled,
        "canceled" or "mmp_canceled" => OrderStatus.Canceled,
        _ => throw new OkxUnknownValueException("state", state),
    };

    /// <summary>A state, or <see cref="OrderStatus.Unknown"/> for one OKX adds later (a single read answers the order with it).</summary>
    private static OrderStatus StateOrUnknown(string? state)
    {
        try
        {
            return ParseState(state);
        }
        catch (OkxUnknownValueException)
        {
            return OrderStatus.Unknown;
        }
    }

    /// <summary>OKX bar names: minutes lowercase, hours and days uppercase, UTC-aligned for 6h and above.</summary>
    private static readonly VenueIntervals Bars = new(Venue,
        ("1m", "1m"), ("3m", "3m"), ("5m", "5m"), ("15m", "15m"), ("30m", "30m"), ("1h", "1H"), ("2h", "2H"), ("4h", "4H"), ("6h", "6Hutc"), ("12h", "12Hutc"), ("1d", "1Dutc"));

    public static string FormatBar(string interval) => Bars.ToVenue(interval);

    public static string ParseBar(string bar) => Bars.FromVenue(bar);

    /// <summary>
    /// One order of /trade/order, /trade/orders-pending or /trade/orders-history. An ordType OKX adds later (the list
    /// has grown: mmp, mmp_and_post_only, optimal_limit_ioc; https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order)
    /// throws <see cref="OkxUnknownValueException"/> carrying the order read with it mapped (<see cref="OkxUnknownValueException.Mapped"/>).
    /// </summary>
    public static Order ParseOrder(JsonElement item, decimal contractSize)
    {
        try
        {
            return ParseOrder(item, contractSize, lenient: false);
        }
        catch (OkxUnknownValueException ex) when (ex.Field is "ordType" or "state")
        {
            throw new OkxUnknownValueException(ex.Field, ex.Value) { Mapped = ParseOrder(item, contractSize, lenient: true) };
        }
    }

    private static Order ParseOrder(JsonElement item, decimal contractSize, bool lenient)
    {
        var (type, tif) = lenient
            ? TryParseOrdType(item.GetStringOrNull("ordType")) ?? (item.GetDecimal("px") > 0 ? OrderType.Limit : OrderType.Market, TimeInForce.Gtc)
            : ParseOrdType(item.GetStringOrNull("ordType"));
        var status = lenient ? StateOrUnknown(item.GetStringOrNull("state")) : ParseState(item.GetStringOrNull("state"));
        return new Order
        {
            ExchangeOrderId = item.GetRequiredString("ordId"),
            ClientOrderId = item.GetStringOrNull("clOrdId") is { Length: > 0 } c ? c : null,
            Symbol = Symbols.FromVenue(item.GetRequiredString("instId")),
            Side = ParseSide(item.GetStringOrNull("side")),
            Type = type,
            TimeInForce = tif,
            Price = item.GetDecimal("px"),
            Quantity = ContractSize.ToBase(item.GetDecimal("sz"), contractSize),
            FilledQuantity = ContractSize.ToBase(item.GetDecimal("accFillSz"), contractSize),
            AveragePrice = item.GetDecimal("avgPx"),
            Status = status,
            ReduceOnly = item.GetStringOrNull("reduceOnly") == "true",
            PostOnly = tif == TimeInForce.Gtx,
            CreatedAt = Time(item, "cTime"),
            UpdatedAt = Time(item, "uTime"),
            RejectReason = status == OrderStatus.Canceled && item.GetStringOrNull("cancelSource") is { Length: > 0 } source ? "cancelSource=" + source : null,
        };
    }

    /// <summary>Whether a cancelled order was cancelled by OKX because post-only would have taken liquidity.</summary>
    public static bool IsPostOnlyCancel(JsonElement item) => item.GetStringOrNull("cancelSource") == OkxErrors.PostOnlyCancelSource;

    /// <summary>One push of the private <c>orders</c> channel: the order's state plus its last fill when it carries one.</summary>
    public static OrderUpdate ParseOrderPush(JsonElement item, decimal contractSize)
    {
        var order = ParseOrder(item, contractSize);
        Fill? fill = null;
        if (item.GetStringOrNull("tradeId") is { Length: > 0 } tradeId && item.GetDecimal("fillSz") > 0)
        {
            var fee = item.TryGetProperty("fillFee", out _) ? item.GetDecimal("fillFee") : 0m;
            fill = new Fill
            {
                TradeId = tradeId,
                ExchangeOrderId = order.ExchangeOrderId,
                ClientOrderId = order.ClientOrderId,
                Symbol = order.Symbol,
                Side = order.Side,
                Price = item.GetDecimal("fillPx"),
                Quantity = ContractSize.ToBase(item.GetDecimal("fillSz"), contractSize),

                // OKX writes fees as negative amounts (a rebate is positive); OpenSqt counts a paid fee as positive.
                Fee = -fee,
                FeeAsset = item.GetStringOrNull("fillFeeCcy") is { Length: > 0 } ccy ? ccy : item.GetStringOrNull("feeCcy") ?? "USDT",
                RealizedPnl = item.GetDecimal("fillPnl"),
                IsMaker = item.GetStringOrNull("execType") == "M",
                Timestamp = Time(item, "fillTime"),
            };
        }

        return OrderUpdate.From(order, Venue, fill);
    }

    /// <summary>One position of /account/positions or the <c>positions</c> channel; net mode only (posSide "net").</summary>
    public static Position ParsePosition(JsonElement item, decimal contractSize)
    {
        var posSide = item.GetStringOrNull("posSide");
        var contracts = item.GetDecimal("pos");
        if (posSide is "long" or "short" && contracts != 0)
        {
            throw new ExchangeException(ExchangeErrorKind.PositionModeMismatch,
                $"okx position {item.GetStringOrNull("instId")} is in long/short mode (posSide {posSide}); OpenSqt trades net positions only: set the account's position mode to net_mode and restart");
        }

        return new Position
        {
            Symbol = Symbols.FromVenue(item.GetRequiredString("instId")),
            Size = ContractSize.ToBase(contracts, contractSize),
            EntryPrice = item.GetDecimal("avgPx"),
            MarkPrice = item.GetDecimal("markPx"),
            UnrealizedPnl = item.GetDecimal("upl"),
            RealizedPnl = item.GetDecimal("realizedPnl"),
            Leverage = (int)item.GetDecimal("lever"),
            MarginType = item.GetStringOrNull("mgnMode") == "isolated" ? "isolated" : "cross",
            LiquidationPrice = item.GetDecimal("liqPx"),
            UpdateTime = Time(item, "uTime"),
        };
    }

    /// <summary>The account of /account/balance or the <c>account</c> channel, in USDT (its <c>details</c> item).</summary>
    public static Account ParseAccount(JsonElement account, IReadOnlyList<Position> positions) =>
        ParseAccount(account, ParseBalances(account).FirstOrDefault(b => b.Ccy == "USDT"), positions);

    /// <summary>
    /// An account from the account-level fields of <paramref name="account"/> and the USDT balance known so far: the
    /// <c>account</c> channel pushes only the currencies that changed, so the caller keeps the last USDT it saw.
    /// </summary>
    public static Account ParseAccount(JsonElement account, OkxBalance? usdt, IReadOnlyList<Position> positions) => new()
    {
        WalletBalance = usdt?.CashBalance ?? 0m,
        MarginBalance = usdt?.Equity ?? account.GetDecimal("totalEq"),
        AvailableBalance = usdt?.AvailableEquity ?? 0m,
        UnrealizedPnl = usdt?.UnrealizedPnl ?? 0m,
        MaintenanceMargin = usdt?.MaintenanceMargin ?? 0m,
        IsUnified = true,
        Positions = positions,
        UpdateTime = Time(account, "uTime"),
    };

    /// <summary>The currencies in an account item's <c>details</c>.</summary>
    public static IReadOnlyList<OkxBalance> ParseBalances(JsonElement account)
    {
        if (!account.TryGetProperty("details", out var details) || details.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var balances = new List<OkxBalance>(details.GetArrayLength());
        foreach (var d in details.EnumerateArray())
        {
            if (d.GetStringOrNull("ccy") is { Length: > 0 } ccy)
            {
                balances.Add(new OkxBalance(ccy, d.GetDecimal("cashBal"), d.GetDecimal("eq"), d.GetDecimalOrNull("availEq") ?? d.GetDecimal("availBal"), d.GetDecimal("upl"), d.GetDecimal("mmr")));
            }
        }

        return balances;
    }

    /// <summary>The cash balance of one currency in an account; 0 when it is not held.</summary>
    public static decimal ParseCashBalance(JsonElement account, string ccy)
    {
        if (account.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.GetStringOrNull("ccy") == ccy)
                {
                    return detail.GetDecimal("cashBal");
                }
            }
        }

        return 0m;
    }

    /// <summary>One SWAP instrument: rules in contracts turned into base-unit rules with its ctVal.</summary>
    public static SymbolRules ParseInstrument(JsonElement item)
    {
        var instId = item.GetRequiredString("instId");
        var parts = instId.Split('-');
        var contractSize = item.GetDecimal("ctVal");
        var inContracts = new SymbolRules
        {
            Symbol = Symbols.FromVenue(instId),
            BaseAsset = item.GetStringOrNull("ctValCcy") is { Length: > 0 } ccy && ccy != "USD" ? ccy : parts[0],
            QuoteAsset = item.GetStringOrNull("settleCcy") is { Length: > 0 } settle && item.GetStringOrNull("ctType") == "linear" ? settle : parts.Length > 1 ? parts[1] : "",
            TickSize = item.GetDecimal("tickSz"),
            StepSize = item.GetDecimal("lotSz"),
            MinQuantity = item.GetDecimal("minSz"),
            MaxQuantity = item.GetDecimalOrNull("maxLmtSz"),
        };
        return ContractSize.RulesInBase(inContracts, contractSize);
    }

    /// <summary>The live linear USDT swaps of an instruments answer, by symbol.</summary>
    public static Dictionary<string, OkxInstrument> ParseInstruments(IEnumerable<JsonElement> items)
    {
        var instruments = new Dictionary<string, OkxInstrument>(StringComparer.Ordinal);
        foreach (var item in items.Where(IsLiveLinearSwap))
        {
            var rules = ParseInstrument(item);
            if (rules.QuoteAsset == "USDT")
            {
                instruments[rules.Symbol] = new OkxInstrument(rules, rules.ContractSize, item.GetDecimal("lotSz"));
            }
        }

        return instruments;
    }

    /// <summary>
    /// Adds a page of orders to <paramref name="orders"/>: orders on swaps not listed are left out, and an order with
    /// an enum value this connector does not know is passed to <paramref name="skipUnknown"/> instead.
    /// </summary>
    public static void AddOrders(IEnumerable<JsonElement> page, IReadOnlyDictionary<string, OkxInstrument> instruments, List<Order> orders, Action<string, OkxUnknownValueException> skipUnknown)
    {
        foreach (var item in page)
        {
            if (instruments.TryGetValue(Symbols.FromVenue(item.GetRequiredString("instId")), out var instrument))
            {
                try
                {
                    orders.Add(ParseOrder(item, instrument.ContractSize));
                }
                catch (OkxUnknownValueException ex)
                {
                    skipUnknown("open order " + item.GetStringOrNull("ordId"), ex);
                }
            }
        }
    }

    /// <summary>The non-empty positions of listed swaps.</summary>
    public static IReadOnlyList<Position> ParsePositions(IEnumerable<JsonElement> items, IReadOnlyDictionary<string, OkxInstrument> instruments) =>
        [.. items
            .Select(item => instruments.TryGetValue(Symbols.FromVenue(item.GetRequiredString("instId")), out var instrument) ? ParsePosition(item, instrument.ContractSize) : null)
            .Where(p => p is { Size: not 0 })
            .Select(p => p!)];

    public static bool IsLiveLinearSwap(JsonElement item) =>
        item.GetStringOrNull("state") == "live" && item.GetStringOrNull("ctType") == "linear";

    /// <summary>One ticker; 24h volume is read in the base currency (<c>volCcy24h</c>, SWAP).</summary>
    public static Ticker ParseTicker(JsonElement item)
    {
        var last = item.GetDecimal("last");
        var open = item.GetDecimal("open24h");
        return new Ticker
        {
            Symbol = Symbols.FromVenue(item.GetRequiredString("instId")),
            LastPrice = last,
            PriceChange = open == 0 ? 0 : last - open,
            PriceChangePercent = open == 0 ? 0 : Math.Round((last - open) / open * 100m, 4),
            Volume = item.GetDecimal("volCcy24h"),
            QuoteVolume = item.GetDecimal("volCcy24h") * last,
            Timestamp = Time(item, "ts"),
        };
    }

    /// <summary>Candle rows <c>[ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm]</c>, newest first on the wire; returned oldest first.</summary>
    public static IReadOnlyList<Candle> ParseCandles(IEnumerable<JsonElement> rows, string symbol, string interval)
    {
        var candles = rows.Select(row => ParseCandle(row, symbol, interval)).ToList();
        candles.Sort((a, b) => a.OpenTime.CompareTo(b.OpenTime));
        return candles;
    }

    public static Candle ParseCandle(JsonElement row, string symbol, string interval) => new()
    {
        Symbol = symbol,
        Interval = interval,
        OpenTime = DateTimeOffset.FromUnixTimeMilliseconds((long)VenueJson.ToDecimal(row[0], "ts")),
        Open = VenueJson.ToDecimal(row[1], "o"),
        High = VenueJson.ToDecimal(row[2], "h"),
        Low = VenueJson.ToDecimal(row[3], "l"),
        Close = VenueJson.ToDecimal(row[4], "c"),
        Volume = VenueJson.ToDecimal(row[6], "volCcy"),
        QuoteVolume = VenueJson.ToDecimal(row[7], "volCcyQuote"),
        IsClosed = row.GetArrayLength() > 8 && row[8].GetString() == "1",
    };

    public static FundingRate ParseFunding(JsonElement item) => new()
    {
        Exchange = Venue,
        Symbol = Symbols.FromVenue(item.GetRequiredString("instId")),
        Rate = item.GetDecimal("fundingRate"),
        PredictedRate = item.GetDecimal("nextFundingRate"),
        NextFundingTime = Time(item, "fundingTime"),
        Timestamp = item.TryGetProperty("ts", out _) ? Time(item, "ts") : Time(item, "fundingTime"),
    };

    public static DateTimeOffset Time(JsonElement item, string property) => DateTimeOffset.FromUnixTimeMilliseconds(item.GetInt64(property));

    public static string Format(decimal value) => VenueJson.Format(value);

    internal static string Ms(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One order: size in contracts (refused when not a whole number of lots), clOrdId checked, post-only as ordType.</summary>
    public static void WriteOrder(Utf8JsonWriter w, OrderRequest request, decimal contractSize, decimal lot, string tradeMode)
    {
        var limitPrice = OrderChecks.Validate(request);
        var contracts = ContractSize.ToContracts(request.Quantity, contractSize, lot);
        w.WriteStartObject();
        w.WriteString("instId", Symbols.ToVenue(request.Symbol));
        w.WriteString("tdMode", tradeMode);
        w.WriteString("side", FormatSide(request.Side));
        w.WriteString("ordType", FormatOrdType(request.Type, request.TimeInForce, request.IsPostOnly));
        w.WriteString("sz", VenueJson.Format(contracts));
        if (limitPrice is { } price)
        {
            w.WriteString("px", VenueJson.Format(price));
        }

        if (request.ReduceOnly)
        {
            w.WriteBoolean("reduceOnly", true);
        }

        if (!string.IsNullOrEmpty(request.ClientOrderId))
        {
            w.WriteString("clOrdId", CheckClientOrderId(request.ClientOrderId));
        }

        w.WriteEndObject();
    }

    public static void WriteRef(Utf8JsonWriter w, OrderRef order)
    {
        if (order.ExchangeOrderId is { } id)
        {
            w.WriteString("ordId", id);
        }
        else
        {
            w.WriteString("clOrdId", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)));
        }
    }
}

/// <summary>One instrument's rules (in base units), contract value and lot size in contracts.</summary>
internal sealed record OkxInstrument(SymbolRules Rules, decimal ContractSize, decimal Lot);

/// <summary>One currency of an OKX account (<c>details</c> item): cash balance, equity, available equity, unrealised PnL, maintenance margin.</summary>
internal sealed record OkxBalance(string Ccy, decimal CashBalance, decimal Equity, decimal AvailableEquity, decimal UnrealizedPnl, decimal MaintenanceMargin);

/// <summary>
/// OKX sent an enum value this connector does not know (an order type, state or side added after it was written). The
/// item that carries it is skipped and counted; the rest of the answer stands.
/// </summary>
internal sealed class OkxUnknownValueException(string field, string? value)
    : ExchangeException(ExchangeErrorKind.Internal, $"okx sent an unknown {field} '{value}'")
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
