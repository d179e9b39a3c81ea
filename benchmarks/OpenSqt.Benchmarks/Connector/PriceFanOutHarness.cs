using System.Diagnostics;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Benchmarks.Connector;

/// <summary>
/// Price fan-out: one venue price stream, N gRPC subscribers on their own connections, a producer printing trades as
/// fast as the venue accepts them. Reports messages delivered per second in total and the process's managed heap and
/// working set every 5 seconds (connector and clients share this process).
/// Usage: price-fanout [subscribers] [seconds] [venue messages per second, 0 = as fast as possible]
/// </summary>
internal static class PriceFanOutHarness
{
    public static async Task RunAsync(string[] args)
    {
        var subscribers = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60;
        var rate = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        await using var host = await ConnectorHost.StartAsync();
        using var stop = new CancellationTokenSource();
        var delivered = new long[subscribers];
        var readers = new List<Task>();
        var channels = new List<IDisposable>();
        for (var s = 0; s < subscribers; s++)
        {
            var channel = host.CreateChannel();
            channels.Add(channel);
            var call = host.CreateClient(channel).SubscribePrice(new W.SubscribePriceRequest { Symbols = { "BTCUSDT" } }, cancellationToken: stop.Token);
            await call.ResponseHeadersAsync;
            var index = s;
            readers.Add(Task.Run(async () =>
            {
                try
                {
                    while (await call.ResponseStream.MoveNext(stop.Token))
                    {
                        Interlocked.Increment(ref delivered[index]);
                    }
                }
                catch (Grpc.Core.RpcException) when (stop.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException)
                {
                }
            }));
        }

        long produced = 0;
        var producer = Task.Run(() =>
        {
            var i = 0;
            var paced = Stopwatch.StartNew();
            while (!stop.IsCancellationRequested)
            {
                if (rate > 0 && produced >= paced.Elapsed.TotalSeconds * rate)
                {
                    Thread.Yield();
                    continue;
                }

                host.Sim.Trade("BTCUSDT", 90_000m + (i++ % 10_000 * 0.1m), 0m);
                produced++;
            }
        });

        var clock = Stopwatch.StartNew();
        long lastDelivered = 0;
        var lastElapsed = TimeSpan.Zero;
        var rates = new List<double>();
        Console.WriteLine($"{subscribers} subscribers, {seconds} s, venue rate {(rate > 0 ? rate.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/s" : "unpaced")}");
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            var total = delivered.Sum();
            var elapsed = clock.Elapsed;
            var windowRate = (total - lastDelivered) / (elapsed - lastElapsed).TotalSeconds;
            rates.Add(windowRate);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Console.WriteLine($"t={elapsed.TotalSeconds,5:F0}s delivered/s={windowRate,10:F0} produced={produced,10} heap={GC.GetTotalMemory(false) / 1_048_576.0,7:F1}MiB workingset={Environment.WorkingSet / 1_048_576.0,7:F1}MiB");
            lastDelivered = total;
            lastElapsed = elapsed;
        }

        await stop.CancelAsync();
        await producer;
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var channel in channels)
        {
            channel.Dispose();
        }

        Console.WriteLine($"delivered in total: {delivered.Sum()} ({delivered.Sum() / clock.Elapsed.TotalSeconds:F0}/s), produced {produced}, mean of 5 s windows {rates.Average():F0}/s, min {rates.Min():F0}/s");
    }
}
