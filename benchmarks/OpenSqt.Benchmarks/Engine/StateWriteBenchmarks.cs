using BenchmarkDotNet.Attributes;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.Benchmarks.Engine;

/// <summary>
/// The state write on every order's way out: a new order saved to the engine's SQLite file (WAL, synchronous=NORMAL)
/// before it is sent. The "persist" stage of tick-to-order.
/// </summary>
[MemoryDiagnoser]
public class StateWriteBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private string _directory = "";
    private EngineStateStore _store = null!;
    private long _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("opensqt-bench-state").FullName;
        _store = EngineStateStore.Open(Path.Combine(_directory, "state.db"));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "new order saved before it is sent")]
    public void SaveNewOrder()
    {
        var sequence = ++_sequence;
        var order = new SlotOrder
        {
            ClientOrderId = "BENCH" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Role = OrderRole.OpenLong,
            Price = 95_000m,
            Quantity = 0.002m,
            PostOnly = true,
            CreatedAt = Now,
            UpdatedAt = Now,
        };
        _store.SaveOrder("BTCUSDT", -1, order, sequence);
    }
}
