using System.Text;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>User-stream event types the connector acts on.</summary>
internal enum BinanceUserEventType
{
    Other = 0,
    OrderTradeUpdate,
    AccountUpdate,
    ListenKeyExpired,
    TradeLite,
}

internal static partial class BinanceParsers
{
    private static readonly Utf8StringCache Strings = new();

    /// <summary>Finds the event type (<c>e</c>) of a user-stream message, raw or in a combined envelope, without allocating.</summary>
    public static BinanceUserEventType PeekUserEventType(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth <= 2 && reader.ValueTextEquals("e"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return BinanceUserEventType.Other;
                }

                if (reader.ValueTextEquals("ORDER_TRADE_UPDATE"u8))
                {
                    return BinanceUserEventType.OrderTradeUpdate;
                }

                if (reader.ValueTextEquals("ACCOUNT_UPDATE"u8))
                {
                    return BinanceUserEventType.AccountUpdate;
                }

                if (reader.ValueTextEquals("listenKeyExpired"u8))
                {
                    return BinanceUserEventType.ListenKeyExpired;
                }

                return reader.ValueTextEquals("TRADE_LITE"u8) ? BinanceUserEventType.TradeLite : BinanceUserEventType.Other;
            }
        }

        return BinanceUserEventType.Other;
    }

    /// <summary>
    /// Parses one <c>ORDER_TRADE_UPDATE</c> (raw or in a combined envelope) into an order update; a fill (<c>x</c> TRADE,
    /// or CALCULATED for a liquidation) carries <see cref="OrderUpdate.LastFill"/> with its trade id, price, quantity
    /// and fee. Reads the bytes once with <see cref="Utf8JsonReader"/>; symbol and asset names come from a small cache.
    /// </summary>
    public static OrderUpdate ParseOrderTradeUpdate(ReadOnlySpan<byte> json, Action<string, string>? onUnknown = null)
    {
        var reader = new Utf8JsonReader(json);
        long transactionTime = 0;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.ValueTextEquals("o"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    return ReadOrderObject(ref reader, transactionTime, onUnknown);
                }
            }
            else if (reader.ValueTextEquals("T"u8))
            {
                reader.Read();
                transactionTime = VenueJson.ReadInt64(ref reader, "T");
            }
        }

        throw new ExchangeException(ExchangeErrorKind.Internal, "binance ORDER_TRADE_UPDATE without its order object 'o'");
    }

    private static OrderUpdate ReadOrderObject(ref Utf8JsonReader reader, long eventTime, Action<string, string>? onUnknown)
    {
        string? symbol = null, clientId = null, feeAsset = null, unknownType = null;
        OrderSide side = 0;
        OrderType type = 0;
        var tif = TimeInForce.Gtc;
        OrderStatus status = 0;
        decimal quantity = 0, price = 0, averagePrice = 0, lastQuantity = 0, filled = 0, lastPrice = 0, fee = 0, realized = 0;
        long orderId = 0, tradeId = 0, tradeTime = 0;
        bool maker = false, reduceOnly = false, isTrade = false, isLiquidation = false;
        var depth = reader.CurrentDepth;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth)
            {
                break;
            }

            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            var name = reader.ValueSpan;
            reader.Read();
            if (name.Length == 1)
            {
                switch (name[0])
                {
                    case (byte)'s':
                        symbol = Strings.Get(ref reader);
                        break;
                    case (byte)'c':
                        clientId = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                        break;
                    case (byte)'S':
                        side = reader.ValueTextEquals("BUY"u8) ? OrderSide.Buy : reader.ValueTextEquals("SELL"u8) ? OrderSide.Sell : throw Unknown("S", ref reader);
                        break;
                    case (byte)'o':
                        if (reader.ValueTextEquals("LIMIT"u8))
                        {
                            type = OrderType.Limit;
                        }
                        else if (reader.ValueTextEquals("MARKET"u8))
                        {
                            type = OrderType.Market;
                        }
                        else
                        {
                            var text = reader.GetString();
                            if (TryParseType(text) is { } known)
                            {
                                type = known;
                            }
                            else
                            {
                                // Resolved once the price is read: a new order type must not drop the update.
                                unknownType = text ?? "";
                            }
                        }

                        break;
                    case (byte)'f':
                        tif = ReadTimeInForce(ref reader, onUnknown);
                        break;
                    case (byte)'q':
                        quantity = VenueJson.ReadDecimal(ref reader, "q");
                        break;
                    case (byte)'p':
                        price = VenueJson.ReadDecimal(ref reader, "p");
                        break;
                    case (byte)'x':
                        isTrade = reader.ValueTextEquals("TRADE"u8);
                        isLiquidation = reader.ValueTextEquals("CALCULATED"u8);
                        break;
                    case (byte)'X':
                        status = ReadStatus(ref reader);
                        break;
                    case (byte)'i':
                        orderId = VenueJson.ReadInt64(ref reader, "i");
                        break;
                    case (byte)'l':
                        lastQuantity = VenueJson.ReadDecimal(ref reader, "l");
                        break;
                    case (byte)'z':
                        filled = VenueJson.ReadDecimal(ref reader, "z");
                        break;
                    case (byte)'L':
                        lastPrice = VenueJson.ReadDecimal(ref reader, "L");
                        break;
                    case (byte)'N':
                        feeAsset = reader.TokenType == JsonTokenType.String ? Strings.Get(ref reader) : null;
                        break;
                    case (byte)'n':
                        fee = VenueJson.ReadDecimal(ref reader, "n");
                        break;
                    case (byte)'T':
                        tradeTime = VenueJson.ReadInt64(ref reader, "T");
                        break;
                    case (byte)'t':
                        tradeId = VenueJson.ReadInt64(ref reader, "t");
                        break;
                    case (byte)'m':
                        maker = reader.TokenType == JsonTokenType.True;
                        break;
                    case (byte)'R':
                        reduceOnly = reader.TokenType == JsonTokenType.True;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            else if (name.Length == 2 && name[0] == (byte)'a' && name[1] == (byte)'p')
            {
                averagePrice = VenueJson.ReadDecimal(ref reader, "ap");
            }
            else if (name.Length == 2 && name[0] == (byte)'r' && name[1] == (byte)'p')
            {
                realized = VenueJson.ReadDecimal(ref reader, "rp");
            }
            else
            {
                reader.Skip();
            }
        }

        if (unknownType is not null && type == 0)
        {
            type = ParseType(unknownType, price, onUnknown);
        }

        if (symbol is null || orderId == 0 || side == 0 || status == 0 || type == 0)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, "binance ORDER_TRADE_UPDATE lacks one of s, S, o, X, i");
        }

        var time = FromMs(tradeTime != 0 ? tradeTime : eventTime);
        var exchangeOrderId = orderId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Fill? fill = null;
        if ((isTrade || isLiquidation) && lastQuantity > 0)
        {
            fill = new Fill
            {
                TradeId = tradeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ExchangeOrderId = exchangeOrderId,
                ClientOrderId = clientId,
                Symbol = symbol,
                Side = side,
                Price = lastPrice,
                Quantity = lastQuantity,
                Fee = fee,
                FeeAsset = feeAsset ?? "USDT",
                RealizedPnl = realized,
                IsMaker = maker,
                Timestamp = time,
            };
        }

        return new OrderUpdate
        {
            Exchange = Venue,
            ExchangeOrderId = exchangeOrderId,
            ClientOrderId = clientId,
            Symbol = symbol,
            Side = side,
            Type = type,
            TimeInForce = tif,
            Status = status,
            Price = price,
            Quantity = quantity,
            FilledQuantity = filled,
            AveragePrice = averagePrice,
            ReduceOnly = reduceOnly,
            PostOnly = tif == TimeInForce.Gtx,
            UpdateTime = time,
            LastFill = fill,
        };
    }

    private static TimeInForce ReadTimeInForce(ref Utf8JsonReader reader, Action<string, string>? onUnknown) =>
        reader.ValueTextEquals("GTC"u8) ? TimeInForce.Gtc
        : reader.ValueTextEquals("GTX"u8) ? TimeInForce.Gtx
        : reader.ValueTextEquals("IOC"u8) ? TimeInForce.Ioc
        : reader.ValueTextEquals("FOK"u8) ? TimeInForce.Fok
        : ParseTimeInForce(reader.GetString(), onUnknown);

    private static OrderStatus ReadStatus(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("NEW"u8) ? OrderStatus.New
        : reader.ValueTextEquals("PARTIALLY_FILLED"u8) ? OrderStatus.PartiallyFilled
        : reader.ValueTextEquals("FILLED"u8) ? OrderStatus.Filled
        : reader.ValueTextEquals("CANCELED"u8) ? OrderStatus.Canceled
        : ParseStatus(reader.GetString());

    private static ExchangeException Unknown(string field, ref Utf8JsonReader reader) =>
        new(ExchangeErrorKind.Internal, $"binance sent an unknown value in '{field}': {reader.GetString()}");

    /// <summary>
    /// Reuses the string of a short ASCII value seen before (symbols, assets): a venue streams a few names millions of
    /// times. Copy-on-write array, bounded; lookups never lock.
    /// </summary>
    private sealed class Utf8StringCache
    {
        private const int Capacity = 256;
        private (byte[] Bytes, string Text)[] _entries = [];

        public string Get(ref Utf8JsonReader reader)
        {
            if (reader.TokenType != JsonTokenType.String || reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > 32)
            {
                return reader.GetString() ?? "";
            }

            var span = reader.ValueSpan;
            var entries = Volatile.Read(ref _entries);
            foreach (var (bytes, text) in entries)
            {
                if (span.SequenceEqual(bytes))
                {
                    return text;
                }
            }

            var value = Encoding.UTF8.GetString(span);
            if (entries.Length < Capacity)
            {
                Volatile.Write(ref _entries, [.. entries, (span.ToArray(), value)]);
            }

            return value;
        }
    }
}
