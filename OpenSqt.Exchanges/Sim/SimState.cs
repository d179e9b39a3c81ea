using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>A working or finished order inside the sim. Mutated only under the venue's lock.</summary>
internal sealed class SimOrder
{
    public required long Id { get; init; }
    public required long Sequence { get; init; }
    public required string ClientOrderId { get; init; }
    public required string Symbol { get; init; }
    public required OrderSide Side { get; init; }
    public required OrderType Type { get; init; }
    public required TimeInForce TimeInForce { get; init; }
    public required decimal Price { get; init; }
    public required decimal Quantity { get; init; }
    public required bool ReduceOnly { get; init; }
    public required bool PostOnly { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public decimal Filled { get; set; }
    public decimal FilledNotional { get; set; }
    public OrderStatus Status { get; set; } = OrderStatus.New;
    public string? RejectReason { get; set; }
    public List<Fill> Fills { get; } = [];

    public decimal Remaining => Quantity - Filled;

    /// <summary>When the order reached the book: placement plus <see cref="SimVenueOptions.OrderLatency"/>.</summary>
    public DateTimeOffset ActiveFrom { get; init; }

    /// <summary>The displayed size ahead of the order at its price (queue-position model); null while unknown.</summary>
    public decimal? QueueAhead { get; set; }

    public Order ToOrder() => new()
    {
        ExchangeOrderId = Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ClientOrderId = ClientOrderId,
        Symbol = Symbol,
        Side = Side,
        Type = Type,
        TimeInForce = TimeInForce,
        Price = Price,
        Quantity = Quantity,
        FilledQuantity = Filled,
        AveragePrice = Filled == 0 ? 0 : Math.Round(FilledNotional / Filled, 10),
        Status = Status,
        ReduceOnly = ReduceOnly,
        PostOnly = PostOnly,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        RejectReason = RejectReason,
        Fills = Fills.ToArray(),
    };
}

/// <summary>A one-way position inside the sim.</summary>
internal sealed class SimPosition
{
    public decimal Size { get; set; }
    public decimal EntryPrice { get; set; }
    public decimal RealizedPnl { get; set; }

    /// <summary>Applies a fill; returns the PnL it realised.</summary>
    public decimal Apply(OrderSide side, decimal quantity, decimal price)
    {
        var delta = side.Sign() * quantity;
        if (Size == 0 || Math.Sign(Size) == Math.Sign(delta))
        {
            var newSize = Size + delta;
            EntryPrice = Math.Round(((EntryPrice * Math.Abs(Size)) + (price * quantity)) / Math.Abs(newSize), 10);
            Size = newSize;
            return 0;
        }

        var closing = Math.Min(quantity, Math.Abs(Size));
        var realized = (price - EntryPrice) * closing * Math.Sign(Size);
        Size += delta;
        if (Size == 0)
        {
            EntryPrice = 0;
        }
        else if (Math.Sign(Size) == Math.Sign(delta))
        {
            // Flipped through zero: the remainder opened a new position at the fill price.
            EntryPrice = price;
        }

        RealizedPnl += realized;
        return realized;
    }
}

/// <summary>One instrument of the sim: rules, market, book of resting orders, position and candles.</summary>
internal sealed class SimSymbol(SimSymbolOptions options, SymbolRules rules, SimCandles candles)
{
    public SimSymbolOptions Options { get; } = options;
    public SymbolRules Rules { get; } = rules;
    public SimCandles Candles { get; } = candles;
    public decimal LastPrice { get; set; }

    /// <summary>Whether the last trade on the tape was a sell hitting the bid (the buyer was the maker).</summary>
    public bool LastBuyerIsMaker { get; set; }

    /// <summary>
    /// The mark price: what unrealised PnL, margin and funding are measured on. It follows every trade; a test may move it
    /// away from the last trade (<see cref="SimExchange.SetMarkPrice"/>), as a venue's index-based mark does.
    /// </summary>
    public decimal MarkPrice { get; set; }
    public DateTimeOffset LastTradeTime { get; set; }
    public SimPosition Position { get; } = new();
    private readonly List<SimOrder> _resting = [];

    /// <summary>The symbol's orders on the book; they go on and off it through <see cref="AddResting"/> and <see cref="RemoveResting"/>.</summary>
    public IReadOnlyList<SimOrder> Resting => _resting;

    /// <summary>The highest price of a resting buy (<see cref="decimal.MinValue"/> with none): no trade above it reaches a buy.</summary>
    public decimal HighestBuy { get; private set; } = decimal.MinValue;

    /// <summary>The lowest price of a resting sell (<see cref="decimal.MaxValue"/> with none): no trade below it reaches a sell.</summary>
    public decimal LowestSell { get; private set; } = decimal.MaxValue;

    public void AddResting(SimOrder order)
    {
        _resting.Add(order);
        if (order.Side == OrderSide.Buy)
        {
            HighestBuy = Math.Max(HighestBuy, order.Price);
        }
        else
        {
            LowestSell = Math.Min(LowestSell, order.Price);
        }
    }

    public void RemoveResting(SimOrder order)
    {
        if (!_resting.Remove(order))
        {
            return;
        }

        // Orders leave the book far less often than trades print: the bounds are worked out again from what rests.
        HighestBuy = decimal.MinValue;
        LowestSell = decimal.MaxValue;
        foreach (var resting in _resting)
        {
            if (resting.Side == OrderSide.Buy)
            {
                HighestBuy = Math.Max(HighestBuy, resting.Price);
            }
            else
            {
                LowestSell = Math.Min(LowestSell, resting.Price);
            }
        }
    }

    private double _lnMid;
    private decimal? _tradedAt;

    /// <summary>The best bid and ask with their sizes, once <see cref="SimExchange.SetBook"/> gave them (replay only).</summary>
    public bool HasBook { get; set; }
    public decimal Bid { get; set; }
    public decimal BidQuantity { get; set; }
    public decimal Ask { get; set; }
    public decimal AskQuantity { get; set; }

    /// <summary>
    /// The log of the mid the sim's own price process walks from. A trade sets it to its price's (<see cref="TradedAt"/>),
    /// taken only when the process next reads it: a replay prints every trade of its data and never walks.
    /// </summary>
    public double LnMid
    {
        get
        {
            if (_tradedAt is { } price)
            {
                _lnMid = Math.Log((double)price);
                _tradedAt = null;
            }

            return _lnMid;
        }

        set
        {
            _lnMid = value;
            _tradedAt = null;
        }
    }

    /// <summary>A trade printed at <paramref name="price"/>: the mid's log becomes its log, worked out when read.</summary>
    public void TradedAt(decimal price) => _tradedAt = price;

    /// <summary>The id of the last book-top update published.</summary>
    public long BookUpdateId { get; set; }
}
