namespace OpenSqt.Contracts;

/// <summary>An order the caller wants placed. Prices and quantities are in base units, already on tick and step.</summary>
public sealed record OrderRequest
{
    public required string Symbol { get; init; }
    public required OrderSide Side { get; init; }
    public required OrderType Type { get; init; }
    public TimeInForce TimeInForce { get; init; } = TimeInForce.Gtc;
    public required decimal Quantity { get; init; }

    /// <summary>Limit price; null for market orders.</summary>
    public decimal? Price { get; init; }

    public bool ReduceOnly { get; init; }

    /// <summary>Refuse the order rather than take liquidity. Equivalent to <see cref="TimeInForce.Gtx"/>.</summary>
    public bool PostOnly { get; init; }

    /// <summary>The engine's own id; ASCII letters and digits, at most 32 characters. Null lets the venue choose.</summary>
    public string? ClientOrderId { get; init; }

    /// <summary>Post-only either by flag or by time in force.</summary>
    public bool IsPostOnly => PostOnly || TimeInForce == TimeInForce.Gtx;
}

/// <summary>Identifies an order on a venue: by the venue's id or by the client order id.</summary>
public readonly record struct OrderRef
{
    private OrderRef(string? exchangeOrderId, string? clientOrderId)
    {
        ExchangeOrderId = exchangeOrderId;
        ClientOrderId = clientOrderId;
    }

    public string? ExchangeOrderId { get; }
    public string? ClientOrderId { get; }

    public static OrderRef ByExchangeId(string exchangeOrderId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(exchangeOrderId);
        return new OrderRef(exchangeOrderId, null);
    }

    public static OrderRef ByClientId(string clientOrderId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientOrderId);
        return new OrderRef(null, clientOrderId);
    }

    public override string ToString() =>
        ExchangeOrderId is not null ? $"order {ExchangeOrderId}" : $"client order {ClientOrderId}";
}

/// <summary>One execution of an order.</summary>
public sealed record Fill
{
    public required string TradeId { get; init; }
    public required string ExchangeOrderId { get; init; }
    public string? ClientOrderId { get; init; }
    public required string Symbol { get; init; }
    public required OrderSide Side { get; init; }
    public required decimal Price { get; init; }
    public required decimal Quantity { get; init; }
    public decimal Fee { get; init; }
    public string FeeAsset { get; init; } = "USDT";
    public decimal RealizedPnl { get; init; }
    public bool IsMaker { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>The state of an order as the venue reports it.</summary>
public sealed record Order
{
    /// <summary>The venue's order id, as text (some venues use non-numeric ids).</summary>
    public required string ExchangeOrderId { get; init; }
    public string? ClientOrderId { get; init; }
    public required string Symbol { get; init; }
    public required OrderSide Side { get; init; }
    public required OrderType Type { get; init; }
    public TimeInForce TimeInForce { get; init; } = TimeInForce.Gtc;
    public decimal Price { get; init; }
    public required decimal Quantity { get; init; }
    public decimal FilledQuantity { get; init; }
    public decimal AveragePrice { get; init; }
    public required OrderStatus Status { get; init; }
    public bool ReduceOnly { get; init; }
    public bool PostOnly { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? RejectReason { get; init; }
    public IReadOnlyList<Fill> Fills { get; init; } = [];

    public decimal RemainingQuantity => Quantity - FilledQuantity;
}

/// <summary>A change of an order, as pushed on the order stream. Cumulative: <see cref="FilledQuantity"/> is the total so far.</summary>
public sealed record OrderUpdate
{
    public string Exchange { get; init; } = "";
    public required string ExchangeOrderId { get; init; }
    public string? ClientOrderId { get; init; }
    public required string Symbol { get; init; }
    public required OrderSide Side { get; init; }
    public required OrderType Type { get; init; }
    public TimeInForce TimeInForce { get; init; } = TimeInForce.Gtc;
    public required OrderStatus Status { get; init; }
    public decimal Price { get; init; }
    public required decimal Quantity { get; init; }
    public decimal FilledQuantity { get; init; }
    public decimal AveragePrice { get; init; }
    public bool ReduceOnly { get; init; }
    public bool PostOnly { get; init; }
    public required DateTimeOffset UpdateTime { get; init; }

    /// <summary>The execution that caused this update, when it was a fill.</summary>
    public Fill? LastFill { get; init; }
    public string? RejectReason { get; init; }

    public static OrderUpdate From(Order order, string exchange, Fill? lastFill = null) => new()
    {
        Exchange = exchange,
        ExchangeOrderId = order.ExchangeOrderId,
        ClientOrderId = order.ClientOrderId,
        Symbol = order.Symbol,
        Side = order.Side,
        Type = order.Type,
        TimeInForce = order.TimeInForce,
        Status = order.Status,
        Price = order.Price,
        Quantity = order.Quantity,
        FilledQuantity = order.FilledQuantity,
        AveragePrice = order.AveragePrice,
        ReduceOnly = order.ReduceOnly,
        PostOnly = order.PostOnly,
        UpdateTime = order.UpdatedAt,
        LastFill = lastFill,
        RejectReason = order.RejectReason,
    };
}

/// <summary>The outcome of a batch place: the orders the venue took, and one error per refused item.</summary>
public sealed record BatchPlaceResult(IReadOnlyList<Order> Orders, IReadOnlyList<BatchItemError> Errors)
{
    public bool AllSuccess => Errors.Count == 0;
}

/// <summary>Why one item of a batch failed.</summary>
public sealed record BatchItemError(
    int Index,
    ExchangeErrorKind Kind,
    string Message,
    string? ClientOrderId = null,
    string? ExchangeOrderId = null);
