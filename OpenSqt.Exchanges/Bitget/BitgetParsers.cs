using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 mix payloads into OpenSqt domain values. Sizes are base coin; numbers are strings read leniently; times
/// are milliseconds. REST order queries give the cumulative fill in <c>baseVolume</c>, while the <c>orders</c> channel
/// gives it in <c>accBaseVolume</c> and the last fill in <c>baseVolume</c>, <c>fillPrice</c>, <c>tradeId</c>.
/// </summary>
internal static partial class BitgetParsers
{
    public const string Venue = "bitget";
    public const string ProductType = "USDT-FUTURES";
    public const string MarginCoin = "USDT";

    /// <summary>Bitget: clientOid "not greater than 50" characters (code 40305).</summary>
    public const int MaxClientOidLength = 50;

    /// <summary>The <c>data</c> of an envelope.</summary>
    public static JsonElement Data(JsonElement envelope) =>
        envelope.TryGetProperty("data", out var data) ? data : throw new ExchangeException(ExchangeErrorKind.Internal, "bitget answered without 'data'");

    public static long ParseServerTime(JsonElement envelope) => Data(envelope).GetInt64("serverTime");

    public static string FormatForce(TimeInForce tif) => tif switch
    {
        TimeInForce.Ioc => "ioc",
        TimeInForce.Fok => "fok",
        TimeInForce.Gtx => "post_only",
        _ => "gtc",
    };

    /// <summary>Bitget's force values (https://www.bitget.com/api-doc/contract/trade/Place-Order: gtc, ioc, fok, post_only).</summary>
    public static TimeInForce ParseForce(string? force) => force switch
    {
        "gtc" or "normal" or null or "" => TimeInForce.Gtc,
        "ioc" => TimeInForce.Ioc,
        "fok" => TimeInForce.Fok,
        "post_only" => TimeInForce.Gtx,
        _ => throw new UnknownVenueValueException("force", force),
    };

    /// <summary>Order states (https://www.bitget.com/api-doc/contract/trade/Get-Order-Details: live, partially_filled, filled, canceled).</summary>
    public static OrderStatus ParseStatus(string? status) => status switch
    {
        "live" or "new" or "init" => OrderStatus.New,
        "partially_filled" => OrderStatus.PartiallyFilled,
        "filled" => OrderStatus.Filled,
        "canceled" or "cancelled" => OrderStatus.Canceled,
        _ => throw new UnknownVenueValueException("status", status),
    };

    public static OrderSide ParseSide(string? side) => side switch
    {
        "buy" or "buy_single" => OrderSide.Buy,
        "sell" or "sell_single" => OrderSide.Sell,
        _ => throw new UnknownVenueValueException("side", side),
    };

    public static OrderType ParseOrderType(string? type) => type switch
    {
        "limit" or null or "" => OrderType.Limit,
        "market" => OrderType.Market,
        _ => throw new UnknownVenueValueException("orderType", type),
    };

    public const string Crossed = "crossed";
    public const string Isolated = "isolated";

    /// <summary>
    /// The <c>marginMode</c> of GET /api/v2/mix/account/account (https://www.bitget.com/api-doc/contract/account/Get-Single-Account:
    /// "marginMode": "crossed"); the place-order field takes the same words (Place-Order: "isolated: isolated margin; crossed: crossed margin").
    /// </summary>
    public static string ParseMarginMode(JsonElement data) => data.GetStringOrNull("marginMode") switch
    {
        Isolated or "fixed" => Isolated,
        Crossed or "cross" => Crossed,
        var other => throw new UnknownVenueValueException("marginMode", other),
    };

    /// <summary>
    /// Kline intervals as Bitget names them. 6h, 12h and 1d use the UTC granularities <c>6Hutc</c>, <c>12Hutc</c>,
    /// <c>1Dutc</c>: the plain <c>6H</c>/<c>12H</c>/<c>1D</c> lines are cut at UTC+8 boundaries
    /// (https://www.bitget.com/api-doc/contract/market/Get-Candle-Data: "6Hutc (UTC 6 hour line) - 12Hutc (UTC 12 hour line)
    /// - 1Dutc (UTC 1-day line)"; JKorf/Bitget.Net Bitget.Net/Enums/BitgetFuturesKlineInterval.cs and
    /// BitgetStreamKlineIntervalV2.cs "6Hutc ... 6 hour UTC 0"). The channel is <c>candle</c> + the same granularity.
    /// 2h and 8h have no Bitget granularity (the Get-Candle-Data list and both JKorf enums go 1H, 4H, 6H: no 2H).
    /// </summary>
    public static string Granularity(string interval) => interval switch
    {
        "1m" or "3m" or "5m" or "15m" or "30m" => interval,
        "1h" => "1H",
        "4h" => "4H",
        "6h" => "6Hutc",
        "12h" => "12Hutc",
        "1d" => "1Dutc",
        _ => throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"interval '{interval}' has no bitget granularity; use 1m, 3m, 5m, 15m, 30m, 1h, 4h, 6h, 12h or 1d"),
    };

    /// <summary>
    /// Whether a fill made liquidity. The <c>orders</c> channel writes <c>tradeScope</c> as <c>T</c> (taker) or <c>M</c>
    /// (maker) (JKorf/Bitget.Net Bitget.Net.UnitTests/Subscriptions/Futures/Order.txt "tradeScope": "T" and
    /// Bitget.Net/Enums/V2/Role.cs Map("maker", "M"); a live one-way push in ccxt/ccxt#25524 "tradeScope": "T"); the fill
    /// channel and REST fills write <c>taker</c>/<c>maker</c>.
    /// </summary>
    public static bool IsMaker(string? tradeScope) => tradeScope is "M" or "maker";

    private static bool Flag(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && v.GetString() is "YES" or "yes" or "true"));

    /// <summary>The client id; the order channel doc spells it <c>clientOId</c>.</summary>
    public static string? ClientOid(JsonElement e) =>
        (e.GetStringOrNull("clientOid") ?? e.GetStringOrNull("clientOId")) is { Length: > 0 } id ? id : null;

    /// <summary>An order of order detail, orders-pending or the <c>orders</c> channel (<paramref name="push"/>).</summary>
    public static Order ParseOrder(JsonElement e, bool push = false)
    {
        try
        {
            return ParseOrder(e, push, lenient: false);
        }
        catch (UnknownVenueValueException ex) when (ex.Field is "force" or "orderType" or "status")
        {
            // A force or orderType Bitget adds later (documented today: force gtc, ioc, fok, post_only; orderType limit,
            // market; https://www.bitget.com/api-doc/contract/trade/Get-Order-Details): the order read with them mapped.
            throw new UnknownVenueValueException(ex.Field, ex.Value) { Mapped = ParseOrder(e, push, lenient: true) };
        }
    }

    private static Order ParseOrder(JsonElement e, bool push, bool lenient)
    {
        var forceText = e.GetStringOrNull("force");
        var typeText = e.GetStringOrNull("orderType");
        var force = lenient ? OrMapped(() => ParseForce(forceText), TimeInForce.Gtc) : ParseForce(forceText);
        var created = e.GetInt64("cTime");
        var updated = e.GetInt64("uTime");
        return new Order
        {
            ExchangeOrderId = e.GetRequiredString("orderId"),
            ClientOrderId = ClientOid(e),
            Symbol = e.GetStringOrNull("symbol") ?? e.GetRequiredString("instId"),
            Side = ParseSide(e.GetStringOrNull("side")),
            Type = lenient ? OrMapped(() => ParseOrderType(typeText), e.GetDecimal("price") > 0 ? OrderType.Limit : OrderType.Market) : ParseOrderType(typeText),
            TimeInForce = force,
            Price = e.GetDecimal("price"),
            Quantity = e.GetDecimal("size"),
            FilledQuantity = push ? e.GetDecimal("accBaseVolume") : e.GetDecimal("baseVolume"),
            AveragePrice = e.GetDecimal("priceAvg"),
            Status = lenient
                ? OrMapped(() => ParseStatus(e.GetStringOrNull("status") ?? e.GetStringOrNull("state")), OrderStatus.Unknown)
                : ParseStatus(e.GetStringOrNull("status") ?? e.GetStringOrNull("state")),
            ReduceOnly = Flag(e, "reduceOnly"),
            PostOnly = force == TimeInForce.Gtx,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(created),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(updated > 0 ? updated : created),
        };
    }

    private static T OrMapped<T>(Func<T> parse, T mapped)
    {
        try
        {
            return parse();
        }
        catch (UnknownVenueValueException)
        {
            return mapped;
        }
    }

    /// <summary>The fill an <c>orders</c> push carries, or null when the push is not a fill.</summary>
    public static Fill? ParsePushFill(JsonElement e, Order order)
    {
        var tradeId = e.GetStringOrNull("tradeId");
        var quantity = e.GetDecimal("baseVolume");
        if (string.IsNullOrEmpty(tradeId) || quantity <= 0)
        {
            return null;
        }

        var fee = e.GetDecimal("fillFee");
        var time = e.GetInt64("fillTime");
        return new Fill
        {
            TradeId = tradeId,
            ExchangeOrderId = order.ExchangeOrderId,
            ClientOrderId = order.ClientOrderId,
            Symbol = order.Symbol,
            Side = order.Side,
            Price = e.GetDecimal("fillPrice"),
            Quantity = quantity,

            // Bitget writes fees paid as negative numbers.
            Fee = -fee,
            FeeAsset = e.GetStringOrNull("fillFeeCoin") ?? MarginCoin,
            IsMaker = IsMaker(e.GetStringOrNull("tradeScope")),
            Timestamp = time > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(time) : order.UpdatedAt,
        };
    }

    /// <summary>
    /// A record of the private <c>fill</c> channel (not subscribed: the <c>orders</c> channel carries each fill with its
    /// order state); <c>feeDetail[].totalFee</c> is negative when paid.
    /// </summary>
    public static Fill ParseFillRecord(JsonElement e)
    {
        var fee = 0m;
        var feeAsset = MarginCoin;
        if (e.TryGetProperty("feeDetail", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                fee -= detail.GetDecimal("totalFee");
                feeAsset = detail.GetStringOrNull("feeCoin") ?? feeAsset;
            }
        }

        return new Fill
        {
            TradeId = e.GetRequiredString("tradeId"),
            ExchangeOrderId = e.GetRequiredString("orderId"),
            Symbol = e.GetStringOrNull("symbol") ?? e.GetRequiredString("instId"),
            Side = ParseSide(e.GetStringOrNull("side")),
            Price = e.GetDecimal("price"),
            Quantity = e.GetDecimal("baseVolume"),
            Fee = fee,
            FeeAsset = feeAsset,
            RealizedPnl = e.GetDecimal("profit"),
            IsMaker = IsMaker(e.GetStringOrNull("tradeScope")),
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(e.GetInt64("cTime")),
        };
    }

    /// <summary>GET /api/v2/mix/market/contracts items; contracts not in <c>normal</c> status are left out.</summary>
    public static IReadOnlyList<SymbolRules> ParseContracts(JsonElement data)
    {
        var rules = new List<SymbolRules>();
        foreach (var e in data.EnumerateArray())
        {
            if (e.GetStringOrNull("symbolStatus") is { } status && status != "normal")
            {
                continue;
            }

            var pricePlace = (int)e.GetInt64("pricePlace");
            var endStep = e.GetDecimal("priceEndStep");
            var tick = (endStep > 0 ? endStep : 1m) / Pow10(pricePlace);
            var step = e.GetDecimal("sizeMultiplier");
            if (step <= 0)
            {
                step = 1m / Pow10((int)e.GetInt64("volumePlace"));
            }

            rules.Add(new SymbolRules
            {
                Symbol = e.GetRequiredString("symbol"),
                BaseAsset = e.GetRequiredString("baseCoin"),
                QuoteAsset = e.GetRequiredString("quoteCoin"),
                TickSize = tick,
                StepSize = step,
                MinQuantity = Math.Max(step, e.GetDecimal("minTradeNum")),
                MinNotional = e.GetDecimal("minTradeUSDT"),
            });
        }

        return rules;
    }

    /// <summary>The <c>fundInterval</c> (hours) of each contract.</summary>
    public static IReadOnlyDictionary<string, int> ParseFundingIntervals(JsonElement data) =>
        data.EnumerateArray().ToDictionary(e => e.GetRequiredString("symbol"), e => (int)Math.Max(1, e.GetInt64("fundInterval")), StringComparer.Ordinal);

    /// <summary>The next funding at or after <paramref name="now"/> for an interval of <paramref name="hours"/>, counted from UTC midnight.</summary>
    public static DateTimeOffset NextFundingTime(DateTimeOffset now, int hours)
    {
        var step = TimeSpan.FromHours(hours).Ticks;
        var utc = now.UtcTicks;
        var next = ((utc + step - 1) / step) * step;
        return new DateTimeOffset(next, TimeSpan.Zero);
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

    /// <summary>GET /api/v2/mix/account/accounts: the USDT margin account.</summary>
    public static Account ParseAccount(JsonElement data, IReadOnlyList<Position> positions, DateTimeOffset now)
    {
        foreach (var e in data.EnumerateArray())
        {
            if (e.GetStringOrNull("marginCoin") != MarginCoin)
            {
                continue;
            }

            var equity = e.GetDecimal("accountEquity");
            var unrealised = e.GetDecimal("unrealizedPL");
            return new Account
            {
                WalletBalance = equity - unrealised,
                MarginBalance = equity,
                AvailableBalance = e.GetDecimal("available"),
                UnrealizedPnl = unrealised,
                Positions = positions,
                UpdateTime = now,
            };
        }

        throw new ExchangeException(ExchangeErrorKind.NotFound, "bitget has no USDT-FUTURES account with margin coin USDT");
    }

    /// <summary>A position of all-position, single-position or the <c>positions</c> channel; <c>holdSide</c> short is negative.</summary>
    public static Position ParsePosition(JsonElement e)
    {
        var total = e.GetDecimal("total");
        var updated = e.GetInt64("uTime");
        return new Position
        {
            Symbol = e.GetStringOrNull("symbol") ?? e.GetRequiredString("instId"),
            Size = e.GetStringOrNull("holdSide") == "short" ? -total : total,
            EntryPrice = e.GetDecimal("openPriceAvg"),
            MarkPrice = e.GetDecimal("markPrice"),
            UnrealizedPnl = e.GetDecimal("unrealizedPL"),
            RealizedPnl = e.GetDecimal("achievedProfits"),
            Leverage = (int)e.GetDecimal("leverage"),
            MarginType = e.GetStringOrNull("marginMode") == "isolated" ? "isolated" : "cross",
            LiquidationPrice = Math.Max(0, e.GetDecimal("liquidationPrice")),
            UpdateTime = DateTimeOffset.FromUnixTimeMilliseconds(updated > 0 ? updated : e.GetInt64("cTime")),
        };
    }

    /// <summary>A ticker of the REST ticker(s) or the <c>ticker</c> channel; <c>change24h</c> is a fraction.</summary>
    public static Ticker ParseTicker(JsonElement e)
    {
        var last = e.GetDecimal("lastPr");
        var change = e.GetDecimal("change24h");
        var open = e.TryGetProperty("open24h", out _) ? e.GetDecimal("open24h") : (change == -1m ? 0m : last / (1m + change));
        return new Ticker
        {
            Symbol = e.GetStringOrNull("symbol") ?? e.GetRequiredString("instId"),
            LastPrice = last,
            PriceChange = last - open,
            PriceChangePercent = change * 100m,
            Volume = e.GetDecimal("baseVolume"),
            QuoteVolume = e.GetDecimal("quoteVolume"),
            OpenInterest = e.GetDecimal("holdingAmount"),
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(e.GetInt64("ts")),
        };
    }

    /// <summary>A candle <c>[ts, open, high, low, close, baseVolume, quoteVolume]</c> (REST and channel alike).</summary>
    public static Candle ParseCandle(JsonElement row, string symbol, string interval, DateTimeOffset now)
    {
        var open = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(row[0].ValueKind == JsonValueKind.String ? row[0].GetString()! : row[0].GetRawText(), CultureInfo.InvariantCulture));
        return new Candle
        {
            Symbol = symbol,
            Interval = interval,
            OpenTime = open,
            Open = VenueJson.ToDecimal(row[1], "open"),
            High = VenueJson.ToDecimal(row[2], "high"),
            Low = VenueJson.ToDecimal(row[3], "low"),
            Close = VenueJson.ToDecimal(row[4], "close"),
            Volume = VenueJson.ToDecimal(row[5], "baseVolume"),
            QuoteVolume = VenueJson.ToDecimal(row[6], "quoteVolume"),
            IsClosed = open + KlineInterval.ToTimeSpan(interval) <= now,
        };
    }

    /// <summary>Funding from a ticker item (<c>fundingRate</c>, and on the channel <c>nextFundingTime</c>).</summary>
    public static FundingRate ParseTickerFunding(JsonElement e, DateTimeOffset? nextFunding = null)
    {
        var next = e.GetInt64("nextFundingTime");
        return new FundingRate
        {
            Exchange = Venue,
            Symbol = e.GetStringOrNull("symbol") ?? e.GetRequiredString("instId"),
            Rate = e.GetDecimal("fundingRate"),
            NextFundingTime = next > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(next) : nextFunding ?? default,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(e.GetInt64("ts")),
        };
    }

    /// <summary>GET /api/v2/mix/market/history-fund-rate items.</summary>
    public static FundingRate ParseFundingHistory(JsonElement e) => new()
    {
        Exchange = Venue,
        Symbol = e.GetRequiredString("symbol"),
        Rate = e.GetDecimal("fundingRate"),
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(e.GetInt64("fundingTime")),
    };

    /// <summary>The items of a batch answer: <c>successList</c> ids and <c>failureList</c> codes, both keyed by clientOid where given.</summary>
    public static (IReadOnlyList<(string OrderId, string? ClientOid)> Succeeded, IReadOnlyList<(string? OrderId, string? ClientOid, VenueFailure Error)> Failed) ParseBatch(JsonElement data)
    {
        var ok = new List<(string, string?)>();
        var failed = new List<(string?, string?, VenueFailure)>();
        if (data.TryGetProperty("successList", out var successes) && successes.ValueKind == JsonValueKind.Array)
        {
            ok.AddRange(successes.EnumerateArray().Select(s => (s.GetRequiredString("orderId"), ClientOid(s))));
        }

        if (data.TryGetProperty("failureList", out var failures) && failures.ValueKind == JsonValueKind.Array)
        {
            failed.AddRange(failures.EnumerateArray().Select(f => (
                f.GetStringOrNull("orderId") is { Length: > 0 } id ? id : null,
                ClientOid(f),
                BitgetErrors.Table.ToFailure(f.GetStringOrNull("errorCode") ?? "UNKNOWN", f.GetStringOrNull("errorMsg"), 400))));
        }

        return (ok, failed);
    }

    /// <summary>Not a Bitget code: marks the orders of a batch cancel that Bitget refused an item of without naming it (settled by a query).</summary>
    public const string UnattributedRefusal = "unattributed";

    /// <summary>
    /// The refusals of one batch-cancel chunk by position: each failure charged to the order it names
    /// (<paramref name="failed"/> carries the id it gave, or the one its clientOid was found to be). A failure that names
    /// no order of the chunk is never charged to another: every order of the chunk that neither list accounts for is
    /// then refused as <see cref="UnattributedRefusal"/>, for the caller to settle by a query.
    /// </summary>
    public static List<(int Position, ExchangeException Error)> ChargeCancelFailures(string[] chunk, IReadOnlyList<(string OrderId, string? ClientOid)> succeeded, IReadOnlyList<(string? OrderId, ExchangeException Error)> failed, ILogger logger)
    {
        var refused = new List<(int Position, ExchangeException Error)>();
        var unattributed = new List<string>();
        foreach (var (orderId, error) in failed)
        {
            if (orderId is not null && Array.IndexOf(chunk, orderId) is var position and >= 0)
            {
                refused.Add((position, error));
            }
            else
            {
                unattributed.Add(error.Message);
            }
        }

        if (unattributed.Count > 0)
        {
            BitgetLog.CancelFailuresUnattributed(logger, unattributed.Count, string.Join("; ", unattributed));
            var accounted = succeeded.Select(s => s.OrderId).Concat(refused.Select(r => chunk[r.Position])).ToHashSet(StringComparer.Ordinal);
            refused.AddRange(chunk.Select((id, i) => (id, i)).Where(x => !accounted.Contains(x.id)).Select(x => (x.i, new ExchangeException(ExchangeErrorKind.UnknownOutcome,
                $"bitget refused {unattributed.Count} item(s) of a batch cancel without naming the order ({string.Join("; ", unattributed)})", venueCode: UnattributedRefusal))));
        }

        return refused;
    }

    /// <summary>The item of <paramref name="symbol"/> in a data array; NOT_FOUND when it has none.</summary>
    public static JsonElement FirstOf(JsonElement data, string symbol)
    {
        var item = data.ValueKind == JsonValueKind.Array ? data.EnumerateArray().FirstOrDefault(e => e.GetStringOrNull("symbol") == symbol) : default;
        return item.ValueKind == JsonValueKind.Object
            ? item
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not a trading USDT-FUTURES contract on bitget");
    }

    /// <summary>
    /// The place-order body: margin in USDT under the account's <paramref name="marginMode"/> for the symbol
    /// (<c>crossed</c> or <c>isolated</c>), one-way mode (no tradeSide).
    /// </summary>
    public static string PlaceOrderBody(OrderRequest request, string marginMode = Crossed) => VenueJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("symbol", request.Symbol);
        w.WriteString("productType", ProductType);
        w.WriteString("marginMode", marginMode);
        w.WriteString("marginCoin", MarginCoin);
        WriteOrderFields(w, request);
        w.WriteEndObject();
    });

    /// <summary>The batch-place-order body of one symbol's orders, under the account's <paramref name="marginMode"/> for it.</summary>
    public static string BatchPlaceBody(string symbol, string marginMode, IReadOnlyList<OrderRequest> requests) => VenueJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("symbol", symbol);
        w.WriteString("productType", ProductType);
        w.WriteString("marginMode", marginMode);
        w.WriteString("marginCoin", MarginCoin);
        w.WriteStartArray("orderList");
        foreach (var request in requests)
        {
            w.WriteStartObject();
            WriteOrderFields(w, request);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>The cancel-order body of one order, by id or client id.</summary>
    public static string CancelBody(string symbol, OrderRef order) => VenueJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("symbol", symbol);
        w.WriteString("productType", ProductType);
        w.WriteString("marginCoin", MarginCoin);
        WriteRef(w, order);
        w.WriteEndObject();
    });

    /// <summary>The per-order fields; one-way mode, so no tradeSide. Post-only is <c>force=post_only</c>.</summary>
    public static void WriteOrderFields(Utf8JsonWriter w, OrderRequest request)
    {
        var limitPrice = OrderChecks.Validate(request);
        if (request.ClientOrderId is { Length: > MaxClientOidLength } longId)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"client order id '{longId}' is longer than bitget's {MaxClientOidLength} characters");
        }

        w.WriteString("size", VenueJson.Format(request.Quantity));
        if (limitPrice is { } price)
        {
            w.WriteString("price", VenueJson.Format(price));
        }

        w.WriteString("side", request.Side == OrderSide.Buy ? "buy" : "sell");
        if (request.Type == OrderType.Market)
        {
            w.WriteString("orderType", "market");
        }
        else
        {
            w.WriteString("orderType", "limit");
            w.WriteString("force", FormatForce(OrderChecks.SentTimeInForce(request)));
        }

        if (!string.IsNullOrEmpty(request.ClientOrderId))
        {
            w.WriteString("clientOid", request.ClientOrderId);
        }

        if (request.ReduceOnly)
        {
            w.WriteString("reduceOnly", "YES");
        }
    }

    public static void WriteRef(Utf8JsonWriter w, OrderRef order)
    {
        if (order.ExchangeOrderId is { } id)
        {
            w.WriteString("orderId", id);
        }
        else
        {
            w.WriteString("clientOid", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)));
        }
    }

    public static string BatchCancelBody(string symbol, IReadOnlyList<string>? ids) => VenueJson.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("symbol", symbol);
        w.WriteString("productType", ProductType);
        w.WriteString("marginCoin", MarginCoin);
        if (ids is not null)
        {
            w.WriteStartArray("orderIdList");
            foreach (var id in ids)
            {
                w.WriteStartObject();
                w.WriteString("orderId", id);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    });
}

/// <summary>A Bitget answer carried a value of a field this connector does not know; the item is skipped, the rest stands.</summary>
internal sealed class UnknownVenueValueException(string field, string? value)
    : ExchangeException(ExchangeErrorKind.Internal, $"bitget sent an unknown {field} '{value}'")
{
    public string Field { get; } = field;

    public string Value { get; } = value ?? "";

    /// <summary>
    /// When the unknown value is only the order type or time in force: the order read with them mapped (a limit order
    /// when it carries a price, a market order otherwise; good till cancelled). A single read answers this order
    /// instead of failing; a list or a stream still skips the item. Null when the unknown value is a status or side.
    /// </summary>
    public Order? Mapped { get; init; }
}

/// <summary>How many values of each field were not known (thread-safe).</summary>
internal sealed class BitgetUnknownValues
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public long Of(string field) => _counts.GetValueOrDefault(field);

    public void Record(string field, string value) => _counts.AddOrUpdate(field, 1, (_, n) => n + 1);

    /// <summary>The one order of an order-detail answer; an unknown value is recorded and, when only the order type or time in force is new, answered mapped.</summary>
    internal Order ParseOne(JsonElement data, ILogger logger)
    {
        try
        {
            return BitgetParsers.ParseOrder(data);
        }
        catch (UnknownVenueValueException ex)
        {
            Record(ex.Field, ex.Value);
            BitgetLog.UnknownValue(logger, ex.Field, ex.Value, data.GetStringOrNull("orderId") ?? "?");
            if (ex.Mapped is { } mapped)
            {
                // Only the order type, time in force or status is new: the order is answered with them mapped (a
                // status as OrderStatus.Unknown).
                return mapped;
            }

            throw;
        }
    }

    /// <summary>The non-empty positions of a positions answer; positions on a contract we do not list are logged and left out.</summary>
    internal IReadOnlyList<Position> ParseListedPositions(JsonElement data, IReadOnlySet<string> listed, ILogger logger)
    {
        var positions = new List<Position>();
        if (data.ValueKind != JsonValueKind.Array)
        {
            return positions;
        }

        foreach (var e in data.EnumerateArray())
        {
            var position = BitgetParsers.ParsePosition(e);
            if (!listed.Contains(position.Symbol))
            {
                BitgetLog.SkippedUnlisted(logger, "position", position.Symbol);
                continue;
            }

            if (position.Size != 0)
            {
                positions.Add(position);
            }
        }

        return positions;
    }

    /// <summary>An order of a list, or null (logged and counted) when it carries a value we do not know or is on a contract we do not list.</summary>
    internal Order? ParseListedOrder(JsonElement e, IReadOnlySet<string> listed, ILogger logger)
    {
        var symbol = e.GetStringOrNull("symbol") ?? e.GetStringOrNull("instId") ?? "";
        if (!listed.Contains(symbol))
        {
            BitgetLog.SkippedUnlisted(logger, "order", symbol);
            return null;
        }

        try
        {
            return BitgetParsers.ParseOrder(e);
        }
        catch (UnknownVenueValueException ex)
        {
            Record(ex.Field, ex.Value);
            BitgetLog.UnknownValue(logger, ex.Field, ex.Value, e.GetStringOrNull("orderId") ?? "?");
            return null;
        }
    }
}
