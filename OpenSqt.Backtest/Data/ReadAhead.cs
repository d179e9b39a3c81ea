using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace OpenSqt.Backtest.Data;

/// <summary>
/// Enumerates a sequence on a thread of its own, a batch ahead of its consumer: the replay's driver runs the engine and
/// the sim on one core while the files are read and parsed on the other. The consumer sees the same items in the same
/// order; an error of the source reaches it after the items read before it, where enumerating the source itself would
/// have thrown it. A consumer that stops early stops the reader.
/// </summary>
internal static class ReadAhead
{
    /// <summary>Items per batch: 256 events of ~150 bytes, a batch array below the large object heap's 85,000 bytes.</summary>
    private const int BatchSize = 256;

    /// <summary>Batches read and not yet taken; the reader waits when it is this far ahead.</summary>
    private const int BatchesAhead = 8;

    public static IEnumerable<T> Of<T>(IEnumerable<T> source)
    {
        using var ready = new BlockingCollection<Batch<T>>(BatchesAhead);
        var free = new ConcurrentQueue<T[]>();
        using var stop = new CancellationTokenSource();
        var reader = new Thread(() => Read(source, ready, free, stop.Token)) { IsBackground = true, Name = "OpenSqt replay read-ahead" };
        reader.Start();
        try
        {
            foreach (var batch in ready.GetConsumingEnumerable())
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    yield return batch.Items[i];
                }

                batch.Error?.Throw();
                free.Enqueue(batch.Items);
            }
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }
    }

    private static void Read<T>(IEnumerable<T> source, BlockingCollection<Batch<T>> ready, ConcurrentQueue<T[]> free, CancellationToken stop)
    {
        var items = new T[BatchSize];
        var count = 0;
        try
        {
            foreach (var item in source)
            {
                items[count++] = item;
                if (count == BatchSize)
                {
                    ready.Add(new Batch<T>(items, count, null), stop);
                    items = free.TryDequeue(out var reused) ? reused : new T[BatchSize];
                    count = 0;
                }
            }

            ready.Add(new Batch<T>(items, count, null), stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The consumer stopped early.
        }
        catch (Exception ex)
        {
            try
            {
                ready.Add(new Batch<T>(items, count, ExceptionDispatchInfo.Capture(ex)), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The consumer stopped early: nobody is left to tell.
            }
        }
        finally
        {
            ready.CompleteAdding();
        }
    }

    private sealed record Batch<T>(T[] Items, int Count, ExceptionDispatchInfo? Error);
}
