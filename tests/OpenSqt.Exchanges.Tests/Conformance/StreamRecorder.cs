using System.Collections.Concurrent;

namespace OpenSqt.Exchanges.Tests.Conformance;

/// <summary>Reads a stream in the background and lets a test wait for items matching a condition, with a timeout.</summary>
public sealed class StreamRecorder<T> : IAsyncDisposable
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly SemaphoreSlim _signal = new(0);

    public StreamRecorder(Func<CancellationToken, IAsyncEnumerable<T>> subscribe)
    {
        var stream = subscribe(_stop.Token);
        _reader = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in stream.WithCancellation(_stop.Token))
                {
                    _items.Enqueue(item);
                    _signal.Release();
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // Stopped (gRPC reports it as a cancelled RpcException).
            }
        });
    }

    public IReadOnlyList<T> Items => [.. _items];

    /// <summary>Waits until an item matching <paramref name="match"/> has arrived and returns the first such item.</summary>
    public async Task<T> WaitForAsync(Func<T, bool> match, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            foreach (var item in _items)
            {
                if (match(item))
                {
                    return item;
                }
            }

            try
            {
                await _signal.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"timed out waiting for {what}; got {_items.Count} items: {string.Join(" | ", _items.Take(20))}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _stop.Dispose();
    }
}
