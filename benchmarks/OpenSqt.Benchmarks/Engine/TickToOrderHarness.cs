using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.Benchmarks.Connector;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.ExchangeConnector.Diagnostics;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Extensions;
using OpenSqt.MarketMaker.Telemetry;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Benchmarks.Engine;

/// <summary>
/// Tick to order: a trade printed on the sim -> price stream through the connector (gRPC) -> engine decision -> place
/// order through the connector (gRPC) -> received by the sim. Each step moves the price one interval up, so each tick
/// causes exactly one new buy (and one trailing cancel). Steps are spaced so the default 50 ms throttle and the
/// 25 orders/s rate limit never hold a step back. Usage: tick-to-order [steps] [--feed ms] [--unary] [--warmup steps]
/// <para>
/// Without <c>--feed</c> nothing trades between the steps, so every thread on the path sleeps for 100 ms and is woken by
/// the tick. A live market is not quiet: with <c>--feed ms</c> a trade inside the current grid interval (it changes no
/// decision) is printed every <c>ms</c> milliseconds between the steps as well, as a busy symbol's feed does, and the
/// step's tick is measured the same way.
/// </para>
/// <para>
/// Besides the total it prints where the time goes, p50 and p99 per stage: the engine's own stages come from its
/// <see cref="EngineMetrics.PlaceStageDuration"/> histogram (read with a <see cref="MeterListener"/>, which is called on
/// the engine's thread as each stage is recorded); the legs outside the engine are derived from those moments and the
/// harness's own clock (the engine runs on the system clock here, the same Stopwatch).
/// </para>
/// <para>
/// The order's arrival is the moment the sim stamped it (its <see cref="OrderUpdate.UpdateTime"/>, taken when the sim
/// starts to place the order, on a clock read from the same Stopwatch), not the moment a subscriber of the sim's order
/// stream saw it: that subscriber's wake-up is the harness's own hop, not the path's. The figure as seen by that
/// subscriber is printed too, for comparison with earlier runs.
/// </para>
/// </summary>
internal static class TickToOrderHarness
{
    public static async Task RunAsync(string[] args)
    {
        var steps = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
        var feedAt = Array.IndexOf(args, "--feed");
        var feed = feedAt >= 0 && feedAt + 1 < args.Length ? TimeSpan.FromMilliseconds(int.Parse(args[feedAt + 1], System.Globalization.CultureInfo.InvariantCulture)) : (TimeSpan?)null;
        // --unary: places and cancels as unary calls instead of the order entry stream, for comparison.
        var orderEntry = args.Contains("--unary") ? RemoteExchangeOptions.OrderEntryUnaryMode : RemoteExchangeOptions.OrderEntryStreamMode;
        var clock = new StopwatchClock();
        await using var connector = await ConnectorHost.StartAsync(configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var sim = connector.Sim;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark", ContentRootPath = Directory.CreateTempSubdirectory("opensqt-bench").FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}",
            ["RemoteExchange:Address"] = connector.GrpcAddress.ToString(),
            ["RemoteExchange:OrderEntry"] = orderEntry,
            ["MarketMaker:StatePath"] = Path.Combine(Path.GetTempPath(), $"opensqt-bench-{Guid.NewGuid():N}.db"),
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "100",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:Symbols:0:BuyWindowSize"] = "3",
            ["MarketMaker:RiskControl:Enabled"] = "false",
            ["MarketMaker:ReconcileInterval"] = "00:30:00",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddServiceDefaults();
        builder.AddMarketMaker();
        await using var app = builder.Build();
        app.MapMarketMaker();
        await app.StartAsync();
        var host = app.Services.GetRequiredService<EngineHost>();

        // Ready says the symbols started; the snapshot that shows the anchor is published by the symbol's writer a moment
        // later (reading it at once failed about one start in six on the loaded machine).
        var startedAt = Stopwatch.GetTimestamp();
        decimal? anchored = null;
        while (!host.Ready || (anchored = host.Engines["BTCUSDT"].Snapshot.Anchor) is null)
        {
            if (Stopwatch.GetElapsedTime(startedAt) > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("the engine did not start and anchor its grid within 30 s");
            }

            await Task.Delay(20);
        }

        var anchor = anchored.Value;
        // The harness waits without spinning: on a small machine a spinning waiter takes a core from the path it measures.
        var arrivals = new ConcurrentDictionary<decimal, (long Stamped, long Seen)>();
        using var arrived = new SemaphoreSlim(0);
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in sim.SubscribeOrdersAsync(stop.Token))
                {
                    if (update.Status == OrderStatus.New && update.Side == OrderSide.Buy)
                    {
                        arrivals.TryAdd(update.Price, (clock.ToTimestamp(update.UpdateTime), Stopwatch.GetTimestamp()));
                        arrived.Release();
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Done.
            }
        });

        var measured = new ConcurrentQueue<(string Stage, double Seconds, long At)>();
        using var replied = new SemaphoreSlim(0);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if ((instrument.Meter.Name == EngineMetrics.MeterName && instrument.Name == EngineMetrics.PlaceStageDuration)
                    || (instrument.Meter.Name == ConnectorMetrics.MeterName && instrument.Name == ConnectorMetrics.RequestDuration))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
        {
            foreach (var tag in tags)
            {
                // The connector's time to serve the place, recorded by its interceptor as it answers (after the sim has the order).
                if (tag.Key == "method" && (string)tag.Value! == nameof(W.ExchangeService.ExchangeServiceBase.PlaceOrder))
                {
                    measured.Enqueue((Breakdown.Connector, seconds, Stopwatch.GetTimestamp()));
                }

                if (tag.Key == "stage")
                {
                    var at = Stopwatch.GetTimestamp();
                    measured.Enqueue(((string)tag.Value!, seconds, at));
                    if ((string)tag.Value! == PlaceStage.Reply)
                    {
                        replied.Release();
                    }
                }
            }
        });
        listener.Start();

        // The feed: quiet trades a few ticks above the last step's price (the same grid interval), printed under the same
        // lock as the steps' trades so that none lands on the wrong side of a step.
        var printing = new Lock();
        var lastPrice = anchor;
        var feeding = feed is { } every ? Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(every);
            var k = 0;
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                lock (printing)
                {
                    sim.Trade("BTCUSDT", lastPrice + (++k % 5 * 0.1m), 0.001m);
                }
            }
        }) : Task.CompletedTask;

        var latency = new Percentiles(steps);
        var seenLatency = new Percentiles(steps);
        var stages = new Breakdown(steps);
        // Steps not measured: the first orders run code the JIT has not optimised yet (tier 0, then a background
        // re-compile that takes a core), which is the process starting, not the path.
        var warmupAt = Array.IndexOf(args, "--warmup");
        var warmup = warmupAt >= 0 && warmupAt + 1 < args.Length ? int.Parse(args[warmupAt + 1], System.Globalization.CultureInfo.InvariantCulture) : 30;
        // Whether a garbage collection ran during a step (between its tick and the order's arrival), to tell the tail the
        // collector makes from the tail of the path itself.
        var gcSteps = new List<(long Ticks, bool Collected)>(steps);
        var pauseBefore = TimeSpan.Zero;
        var cpuBefore = TimeSpan.Zero;
        var measuredFrom = 0L;
        for (var step = 1; step <= steps + warmup; step++)
        {
            if (step == warmup + 1)
            {
                pauseBefore = GC.GetTotalPauseDuration();
                cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                measuredFrom = Stopwatch.GetTimestamp();
            }

            var collections = GC.CollectionCount(0);
            var price = anchor + (step * 100m);
            var expected = price - 100m;
            long start;
            lock (printing)
            {
                lastPrice = price;
                start = Stopwatch.GetTimestamp();
                sim.Trade("BTCUSDT", price, 0.001m);
            }

            (long Stamped, long Seen) arrival;
            while (!arrivals.TryGetValue(expected, out arrival))
            {
                if (!await arrived.WaitAsync(TimeSpan.FromSeconds(2)))
                {
                    throw new TimeoutException($"no buy at {expected} within 2 s of the tick at {price}");
                }
            }

            // The engine records its last stage when the answer is back on its writer, after the sim saw the order.
            // Stages recorded before this step's tick (the first grid's orders) are not this step's.
            var seen = new Dictionary<string, (double Seconds, long At)>();
            while (!seen.ContainsKey(PlaceStage.Reply))
            {
                if (!await replied.WaitAsync(TimeSpan.FromSeconds(2)))
                {
                    throw new TimeoutException($"the engine recorded no {PlaceStage.Reply} stage for the buy at {expected}");
                }

                while (measured.TryDequeue(out var m))
                {
                    if (m.At > start)
                    {
                        seen[m.Stage] = (m.Seconds, m.At);
                    }
                }
            }

            if (step > warmup)
            {
                latency.Add(arrival.Stamped - start);
                gcSteps.Add((arrival.Stamped - start, GC.CollectionCount(0) != collections));
                seenLatency.Add(arrival.Seen - start);
                stages.Add(start, arrival.Stamped, seen);
            }

            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await watcher;
        try
        {
            await feeding;
        }
        catch (OperationCanceledException)
        {
            // The feed ends with the run.
        }

        // The latency mode (README, Latency) is the runtime's own setting, read as the thread pool starts: say which was in force.
        var spin = Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is { Length: > 0 } set ? set : "the runtime's default";
        Console.WriteLine($"order entry: {orderEntry}; {warmup} steps before the {steps} measured; {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC; thread pool spin limit: {spin}");
        Console.WriteLine(feed is { } f ? $"with a feed: a quiet trade every {f.TotalMilliseconds} ms between the steps" : "no feed: nothing trades between the steps");
        Console.WriteLine($"tick to order (sim trade -> connector -> engine -> place received by the sim): {latency.Summary()}");
        Console.WriteLine($"  as seen by a subscriber of the sim's order stream (one more hop):             {seenLatency.Summary()}");
        stages.Print();
        PrintCollections(gcSteps, GC.GetTotalPauseDuration() - pauseBefore);

        // The processor time the whole process (sim, connector, engine, harness) took while the measured steps ran: what
        // the latency cost in cores, for comparing settings that trade one for the other (the thread pool's spinning).
        var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore) / Stopwatch.GetElapsedTime(measuredFrom);
        Console.WriteLine(System.FormattableString.Invariant($"processor time while measuring: {cores:0.00} of {Environment.ProcessorCount} cores"));
        await app.StopAsync();
    }

    /// <summary>
    /// How many measured steps had a garbage collection between their tick and the order's arrival, and how many of the
    /// slowest 1 % did: the collector's share of the tail, with the total pause time while the steps ran (gaps included).
    /// </summary>
    private static void PrintCollections(List<(long Ticks, bool Collected)> steps, TimeSpan pause)
    {
        var slowest = steps.OrderByDescending(s => s.Ticks).Take(Math.Max(1, steps.Count / 100)).ToList();
        Console.WriteLine(System.FormattableString.Invariant(
            $"garbage collections: {steps.Count(s => s.Collected)} of {steps.Count} steps had one; of the slowest {slowest.Count}, {slowest.Count(s => s.Collected)}; pause total while measuring {pause.TotalMilliseconds:0.0} ms"));
    }
}

/// <summary>
/// The connector's clock in this harness: wall-clock time read from the Stopwatch, so that a time the sim stamps converts
/// back to the Stopwatch timestamp it was taken at, to the tick.
/// </summary>
internal sealed class StopwatchClock : TimeProvider
{
    private readonly DateTimeOffset _origin = DateTimeOffset.UtcNow;
    private readonly long _originTimestamp = Stopwatch.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => _origin + Stopwatch.GetElapsedTime(_originTimestamp);

    public long ToTimestamp(DateTimeOffset time) =>
        _originTimestamp + (long)((time - _origin).Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
}

/// <summary>Per-step stage durations of the tick-to-order path, summarised as p50 and p99 per stage.</summary>
internal sealed class Breakdown(int capacity)
{
    private static readonly (string Name, string Meaning)[] Rows =
    [
        ("tick in", "sim trade -> connector -> gRPC price stream -> engine has the tick"),
        (PlaceStage.Inbox, "tick -> the symbol's writer starts deciding (inbox hop)"),
        (PlaceStage.Decide, "risk gate + grid decision"),
        (PlaceStage.Persist, "order written to the state store (durable)"),
        (PlaceStage.Limiter, "hand-off to the venue call + rate limit tokens"),
        ("to venue", "gRPC place -> connector -> the sim has the order"),
        (" client>", "  of which: engine's gRPC call -> HTTP/2 -> Kestrel -> the connector's interceptor"),
        (" conn>sim", "  of which: the connector's interceptor -> checks -> the sim has the order"),
        ("ack back", "the sim's answer -> connector -> the engine's call returns"),
        (" >client", "  of which: the connector answered -> HTTP/2 -> the engine's call returns"),
        (PlaceStage.Reply, "answer back on the writer"),
    ];

    /// <summary>The connector's own time to serve the place, from its interceptor's request duration.</summary>
    public const string Connector = "connector";

    private readonly Dictionary<string, Percentiles> _rows = Rows.ToDictionary(r => r.Name, _ => new Percentiles(capacity));

    public void Add(long start, long arrived, Dictionary<string, (double Seconds, long At)> seen)
    {
        long Ticks(string stage) => (long)(seen[stage].Seconds * Stopwatch.Frequency);
        var durable = seen[PlaceStage.Persist].At;
        var tickReceived = durable - Ticks(PlaceStage.Inbox) - Ticks(PlaceStage.Decide) - Ticks(PlaceStage.Persist);
        var toVenue = arrived - (durable + Ticks(PlaceStage.Limiter));
        _rows["tick in"].Add(Math.Max(0, tickReceived - start));
        foreach (var stage in new[] { PlaceStage.Inbox, PlaceStage.Decide, PlaceStage.Persist, PlaceStage.Limiter, PlaceStage.Reply })
        {
            _rows[stage].Add(Ticks(stage));
        }

        _rows["to venue"].Add(Math.Max(0, toVenue));
        _rows["ack back"].Add(Math.Max(0, Ticks(PlaceStage.Send) - toVenue));
        if (seen.TryGetValue(Connector, out var served))
        {
            var sent = durable + Ticks(PlaceStage.Limiter);
            var servedFrom = served.At - Ticks(Connector);
            _rows[" client>"].Add(Math.Max(0, servedFrom - sent));
            _rows[" conn>sim"].Add(Math.Max(0, arrived - servedFrom));
            _rows[" >client"].Add(Math.Max(0, sent + Ticks(PlaceStage.Send) - served.At));
        }
    }

    public void Print()
    {
        Console.WriteLine("where the time goes (p50 / p99, us):");
        foreach (var (name, meaning) in Rows)
        {
            var row = _rows[name];
            if (row.Count == 0)
            {
                continue;
            }

            Console.WriteLine($"  {name,-9} {row.Micros(50),9:F1} {row.Micros(99),9:F1}   {meaning}");
        }
    }
}
