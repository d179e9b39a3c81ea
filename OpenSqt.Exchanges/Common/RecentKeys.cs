namespace OpenSqt.Exchanges.Common;

/// <summary>
/// Remembers the last <c>capacity</c> keys seen, to drop duplicate venue events (the same fill sent twice, a replay
/// after reconnect, Binance TRADE_LITE beside ORDER_TRADE_UPDATE). Thread-safe.
/// </summary>
internal sealed class RecentKeys<TKey>(int capacity = 50_000)
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly HashSet<TKey> _set = [];
    private readonly Queue<TKey> _order = new();

    /// <summary>True the first time a key is seen, false for a duplicate.</summary>
    public bool TryAdd(TKey key)
    {
        lock (_gate)
        {
            if (!_set.Add(key))
            {
                return false;
            }

            _order.Enqueue(key);
            if (_order.Count > capacity)
            {
                _set.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
