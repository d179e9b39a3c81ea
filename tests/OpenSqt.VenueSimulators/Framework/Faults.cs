namespace OpenSqt.VenueSimulators.Framework;

/// <summary>
/// The nasty side of a simulator, switched on by tests: each knob changes how the venue answers the next calls.
/// Thread-safe; counters say what was injected.
/// </summary>
public sealed class Faults
{
    private readonly Lock _gate = new();
    private readonly HashSet<(string ClientOrderId, OrderField Field)> _unknownValues = [];
    private int _failAfterAccept;
    private int _rateLimitStorm;
    private int _placementRefusals;
    private int _orderReadFailures;
    private int _orderReadFailuresServed;
    private int _batchAllowance = -1;
    private long _ackDelayTicks;

    /// <summary>Order acks (REST answers of place) are held back this long; stream events go out at once.</summary>
    public TimeSpan OrderAckDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _ackDelayTicks));
        set => Interlocked.Exchange(ref _ackDelayTicks, value.Ticks);
    }

    /// <summary>Every user-stream event is sent twice.</summary>
    public bool DuplicateStreamEvents { get; set; }

    /// <summary>The next <paramref name="count"/> order placements are executed and then answered with HTTP 503 (unknown outcome).</summary>
    public void FailAfterAccept(int count) => Interlocked.Exchange(ref _failAfterAccept, count);

    /// <summary>The next <paramref name="count"/> requests are refused with 429 and Retry-After.</summary>
    public void RateLimitStorm(int count, TimeSpan retryAfter)
    {
        StormRetryAfter = retryAfter;
        Interlocked.Exchange(ref _rateLimitStorm, count);
    }

    public TimeSpan StormRetryAfter { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The next <paramref name="count"/> single order placements are refused the way the venue refuses a call over its
    /// rate limit, without a Retry-After (each simulator answers with its own documented over-limit answer).
    /// </summary>
    public void RefusePlacementsWithoutRetryAfter(int count) => Interlocked.Exchange(ref _placementRefusals, count);

    /// <summary>Consumes one placement refusal if armed.</summary>
    public bool TakePlacementRefusal() => TakeOne(ref _placementRefusals);

    /// <summary>
    /// The next <paramref name="count"/> reads of one order (the venue's order query) fail with an answer the venue
    /// documents for a refused or failed call (Binance, OKX, Bitget: 429 without Retry-After; Bybit: retCode 10016;
    /// Gate: HTTP 502), so that a connector confirming its placement with a read meets a failed read.
    /// </summary>
    public void FailOrderReads(int count) => Interlocked.Exchange(ref _orderReadFailures, count);

    /// <summary>Consumes one order-read failure if armed.</summary>
    public bool TakeOrderReadFailure()
    {
        if (!TakeOne(ref _orderReadFailures))
        {
            return false;
        }

        Interlocked.Increment(ref _orderReadFailuresServed);
        return true;
    }

    /// <summary>Order reads refused so far by <see cref="FailOrderReads"/>.</summary>
    public int OrderReadFailuresServed => Volatile.Read(ref _orderReadFailuresServed);

    /// <summary>
    /// From now on the batch placement endpoint admits only <paramref name="orders"/> more orders, as if other
    /// sessions of the account had spent the rest of its budget. A venue that charges a batch per order places the
    /// first admitted items and refuses the others inside a successful answer (<see cref="AdmitBatchOrders"/>); a venue
    /// that charges a batch as one call refuses a whole call that does not fit (<see cref="AdmitBatchCall"/>).
    /// </summary>
    public void LeaveBatchPlaceAllowance(int orders) => Interlocked.Exchange(ref _batchAllowance, orders);

    /// <summary>How many of <paramref name="requested"/> batch items the allowance admits (all while none is set).</summary>
    public int AdmitBatchOrders(int requested)
    {
        lock (_gate)
        {
            if (_batchAllowance < 0)
            {
                return requested;
            }

            var admitted = Math.Min(_batchAllowance, requested);
            _batchAllowance -= admitted;
            return admitted;
        }
    }

    /// <summary>Whether a batch call of <paramref name="requested"/> orders fits the allowance (always while none is set).</summary>
    public bool AdmitBatchCall(int requested)
    {
        lock (_gate)
        {
            if (_batchAllowance < 0)
            {
                return true;
            }

            if (requested > _batchAllowance)
            {
                return false;
            }

            _batchAllowance -= requested;
            return true;
        }
    }

    /// <summary>
    /// The order with this client id is reported (REST answers and stream events) with a value of
    /// <paramref name="field"/> the venue may add later and a client does not know yet.
    /// </summary>
    public void ReportUnknownValue(string clientOrderId, OrderField field)
    {
        lock (_gate)
        {
            _unknownValues.Add((clientOrderId, field));
        }
    }

    /// <summary>Whether <see cref="ReportUnknownValue"/> armed <paramref name="field"/> for this client id.</summary>
    public bool ReportsUnknown(string? clientOrderId, OrderField field)
    {
        if (clientOrderId is null)
        {
            return false;
        }

        lock (_gate)
        {
            return _unknownValues.Contains((clientOrderId, field));
        }
    }

    /// <summary>Position pushes are lost on the way (a snapshot-style channel makes up for them with its next snapshot).</summary>
    public bool LosePositionUpdates { get; set; }

    /// <summary>Consumes one "fail after accept" if armed.</summary>
    public bool TakeFailAfterAccept() => TakeOne(ref _failAfterAccept);

    /// <summary>Consumes one storm 429 if armed.</summary>
    public bool TakeStorm() => TakeOne(ref _rateLimitStorm);

    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}

/// <summary>An order field a simulator can report with a value the client does not know.</summary>
public enum OrderField
{
    Status,
    TimeInForce,
    OrderType,
}
