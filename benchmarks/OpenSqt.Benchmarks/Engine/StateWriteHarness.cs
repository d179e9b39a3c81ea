using System.Diagnostics;
using System.Globalization;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;
using OpenSqt.Benchmarks.Connector;

namespace OpenSqt.Benchmarks.Engine;

/// <summary>
/// The "persist" stage alone, as the engine runs it: a new order saved to the state file before it is sent (timed), then
/// its acknowledgement and, for every other order, its cancel written as the engine writes them (not timed), with a pause
/// between orders so that the write runs cold as it does between ticks. Usage: state-write [orders] [--gap ms] [--preload orders].
/// <c>--preload</c> fills the file with that many finished orders first, as a state file that has traded for a while.
/// </summary>
internal static class StateWriteHarness
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(string[] args)
    {
        var orders = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        var gapAt = Array.IndexOf(args, "--gap");
        var gap = gapAt >= 0 ? int.Parse(args[gapAt + 1], CultureInfo.InvariantCulture) : 2;
        var preloadAt = Array.IndexOf(args, "--preload");
        var preload = preloadAt >= 0 ? int.Parse(args[preloadAt + 1], CultureInfo.InvariantCulture) : 0;
        var directory = Directory.CreateTempSubdirectory("opensqt-bench-state").FullName;
        try
        {
            using var store = EngineStateStore.Open(Path.Combine(directory, "state.db"));
            // A second connection, as the engine's other readers and writers hold one.
            using var reader = EngineStateStore.Open(Path.Combine(directory, "state.db"));
            long sequence = 0;
            store.InTransaction(() =>
            {
                for (var i = 0; i < preload; i++)
                {
                    var order = NewOrder(++sequence);
                    order.Status = OrderStatus.Canceled;
                    store.SaveOrder("BTCUSDT", sequence % 20, order, sequence);
                }
            });

            var warmup = Math.Min(200, orders / 5);
            var save = new Percentiles(orders);
            for (var i = 0; i < orders + warmup; i++)
            {
                var order = NewOrder(++sequence);
                var started = Stopwatch.GetTimestamp();
                store.SaveOrder("BTCUSDT", sequence % 20, order, sequence);
                var took = Stopwatch.GetTimestamp() - started;
                if (i >= warmup)
                {
                    save.Add(took);
                }

                order.Status = OrderStatus.New;
                order.ExchangeOrderId = "X" + sequence.ToString(CultureInfo.InvariantCulture);
                store.InTransaction(() => store.SaveOrder("BTCUSDT", sequence % 20, order, sequence));
                if (sequence % 2 == 0)
                {
                    order.Status = OrderStatus.Canceled;
                    store.InTransaction(() => store.SaveOrder("BTCUSDT", sequence % 20, order, sequence));
                }

                if (i % 100 == 0)
                {
                    _ = reader.LoadPnl("BTCUSDT");
                }

                if (gap > 0)
                {
                    await Task.Delay(gap);
                }
            }

            Console.WriteLine($"state write (new order saved before it is sent; {gap} ms between orders, {preload} orders preloaded): {save.Summary()}");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static SlotOrder NewOrder(long sequence) => new()
    {
        ClientOrderId = "OSQTbench" + sequence.ToString(CultureInfo.InvariantCulture),
        Role = OrderRole.OpenLong,
        Price = 95_000m + sequence,
        Quantity = 0.002m,
        PostOnly = true,
        CreatedAt = Start.AddMilliseconds(sequence),
        UpdatedAt = Start.AddMilliseconds(sequence),
    };
}
