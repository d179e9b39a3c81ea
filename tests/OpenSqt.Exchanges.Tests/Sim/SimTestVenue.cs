using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Exchanges.Tests.Sim;

/// <summary>A sim whose market moves only when the test prints trades, on fake time.</summary>
internal static class SimTestVenue
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 30, TimeSpan.Zero);

    public static (SimExchange Sim, FakeTimeProvider Time) Create(Action<SimVenueOptions>? configure = null)
    {
        var time = new FakeTimeProvider(Start);
        var options = new SimVenueOptions { AutoAdvance = false, HistoryMinutes = 120, Seed = 7 };
        configure?.Invoke(options);
        return (new SimExchange(Options.Create(options), time), time);
    }

    public static OrderRequest Limit(OrderSide side, decimal price, decimal quantity, string? clientId = null, string symbol = "BTCUSDT") => new()
    {
        Symbol = symbol,
        Side = side,
        Type = OrderType.Limit,
        TimeInForce = TimeInForce.Gtc,
        Price = price,
        Quantity = quantity,
        ClientOrderId = clientId,
    };

    /// <summary>Sets the market to <paramref name="price"/> with a trade too small to fill anything that rests.</summary>
    public static void SetMarket(this SimExchange sim, decimal price, string symbol = "BTCUSDT") => sim.Trade(symbol, price, 0m);
}

/// <summary>Collects a stream in the background so a test can wait, with a timeout, for what it expects.</summary>
internal sealed class StreamProbe<T> : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<T> _items = [];
    private readonly Task _reader;

    public StreamProbe(Func<CancellationToken, IAsyncEnumerable<T>> subscribe)
    {
        var stream = subscribe(_stop.Token);
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in stream.WithCancellation(_stop.Token))
                {
                    lock (_items)
                    {
                        _items.Add(item);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        });
    }

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_items)
            {
                return [.. _items];
            }
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> items arrived; returns them all.</summary>
    public async Task<IReadOnlyList<T>> WaitForAsync(int count, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Items.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} {what}, got {Items.Count}");
            }

            await Task.Delay(PollInterval);
        }

        return Items;
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
