using System.Text.RegularExpressions;
using Grpc.Core;
using OpenSqt.Contracts;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Services;

/// <summary>
/// Turns wire requests into domain requests, refusing malformed ones with INVALID_ARGUMENT and a message that names
/// the field. Whether a symbol exists is checked against the exchange metadata by the service.
/// </summary>
internal static partial class RequestValidation
{
    public const int MaxBatchOrders = 100;
    private const int MaxClientOrderIdLength = 36;

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static string RequireSymbol(string? symbol, string field = "symbol")
    {
        if (string.IsNullOrWhiteSpace(symbol))
        {
            throw Invalid($"{field} is required");
        }

        if (!SymbolPattern().IsMatch(symbol))
        {
            throw Invalid($"{field} '{symbol}' must be upper-case letters and digits, like BTCUSDT");
        }

        return symbol;
    }

    public static decimal RequirePositiveDecimal(Google.Type.Decimal? value, string field)
    {
        if (value is null || string.IsNullOrEmpty(value.Value))
        {
            throw Invalid($"{field} is required");
        }

        if (!WireMapper.TryParseDecimal(value.Value, out var parsed))
        {
            throw Invalid($"{field} '{value.Value}' is not a decimal number");
        }

        if (parsed <= 0)
        {
            throw Invalid($"{field} {value.Value} must be greater than zero");
        }

        return parsed;
    }

    public static OrderRequest ToOrderRequest(W.PlaceOrderRequest request, string prefix = "")
    {
        var symbol = RequireSymbol(request.Symbol, prefix + "symbol");
        var side = request.Side switch
        {
            W.OrderSide.Buy => OrderSide.Buy,
            W.OrderSide.Sell => OrderSide.Sell,
            _ => throw Invalid($"{prefix}side must be ORDER_SIDE_BUY or ORDER_SIDE_SELL"),
        };
        var type = request.Type switch
        {
            W.OrderType.Limit => OrderType.Limit,
            W.OrderType.Market => OrderType.Market,
            _ => throw Invalid($"{prefix}type must be ORDER_TYPE_LIMIT or ORDER_TYPE_MARKET"),
        };
        var quantity = RequirePositiveDecimal(request.Quantity, prefix + "quantity");

        decimal? price = null;
        TimeInForce tif;
        if (type == OrderType.Limit)
        {
            price = RequirePositiveDecimal(request.Price, prefix + "price");
            tif = request.TimeInForce switch
            {
                W.TimeInForce.Gtc => TimeInForce.Gtc,
                W.TimeInForce.Ioc => TimeInForce.Ioc,
                W.TimeInForce.Fok => TimeInForce.Fok,
                W.TimeInForce.Gtx => TimeInForce.Gtx,
                _ => throw Invalid($"{prefix}time_in_force must be set for a limit order (TIME_IN_FORCE_GTC, _IOC, _FOK or _GTX)"),
            };
            if (request.PostOnly && tif is TimeInForce.Ioc or TimeInForce.Fok)
            {
                throw Invalid($"{prefix}post_only cannot be combined with time_in_force {request.TimeInForce}");
            }
        }
        else
        {
            if (request.Price is { Value.Length: > 0 } p && (!WireMapper.TryParseDecimal(p.Value, out var marketPrice) || marketPrice != 0))
            {
                throw Invalid($"{prefix}price must be empty for a market order (got '{p.Value}')");
            }

            if (request.PostOnly || request.TimeInForce == W.TimeInForce.Gtx)
            {
                throw Invalid($"{prefix}post_only is not possible for a market order");
            }

            if (request.TimeInForce is not (W.TimeInForce.Unspecified or W.TimeInForce.Ioc))
            {
                throw Invalid($"{prefix}time_in_force {request.TimeInForce} does not apply to a market order");
            }

            tif = TimeInForce.Ioc;
        }

        if (request.UseMargin)
        {
            throw Invalid($"{prefix}use_margin applies to spot margin trading; this connector trades perpetual futures");
        }

        var clientOrderId = string.IsNullOrEmpty(request.ClientOrderId) ? null : request.ClientOrderId;
        if (clientOrderId is not null && (clientOrderId.Length > MaxClientOrderIdLength || !ClientOrderIdPattern().IsMatch(clientOrderId)))
        {
            throw Invalid($"{prefix}client_order_id '{clientOrderId}' must be 1 to {MaxClientOrderIdLength} ASCII letters, digits, '-' or '_'");
        }

        return new OrderRequest
        {
            Symbol = symbol,
            Side = side,
            Type = type,
            TimeInForce = tif,
            Quantity = quantity,
            Price = price,
            ReduceOnly = request.ReduceOnly,
            PostOnly = request.PostOnly || tif == TimeInForce.Gtx,
            ClientOrderId = clientOrderId,
        };
    }

    /// <summary>The order a cancel or get request points at: venue id (text or v1 int64) or client order id.</summary>
    public static OrderRef ToOrderRef(long orderId, string exchangeOrderId, string clientOrderId)
    {
        if (orderId < 0)
        {
            throw Invalid($"order_id {orderId} must not be negative");
        }

        if (!string.IsNullOrEmpty(exchangeOrderId))
        {
            if (orderId != 0 && exchangeOrderId != orderId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw Invalid($"order_id {orderId} and exchange_order_id '{exchangeOrderId}' disagree");
            }

            return OrderRef.ByExchangeId(exchangeOrderId);
        }

        if (orderId != 0)
        {
            return OrderRef.ByExchangeId(orderId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!string.IsNullOrEmpty(clientOrderId))
        {
            return OrderRef.ByClientId(clientOrderId);
        }

        throw Invalid("one of order_id, exchange_order_id or client_order_id is required");
    }

    public static string RequireInterval(string? interval)
    {
        if (string.IsNullOrEmpty(interval))
        {
            throw Invalid($"interval is required; use one of {string.Join(", ", KlineInterval.All)}");
        }

        return KlineInterval.IsValid(interval)
            ? interval
            : throw Invalid($"interval '{interval}' is not supported; use one of {string.Join(", ", KlineInterval.All)}");
    }

    public static int RequireLimit(int limit, int max) =>
        limit >= 1 && limit <= max ? limit : throw Invalid($"limit {limit} must be between 1 and {max}");

    public static IReadOnlyList<string> RequireSymbols(IEnumerable<string> symbols)
    {
        var list = symbols.ToList();
        if (list.Count == 0)
        {
            throw Invalid("symbols must name at least one symbol");
        }

        for (var i = 0; i < list.Count; i++)
        {
            RequireSymbol(list[i], $"symbols[{i}]");
        }

        return list.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    [GeneratedRegex("^[A-Z0-9]{2,40}$")]
    private static partial Regex SymbolPattern();

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex ClientOrderIdPattern();
}
