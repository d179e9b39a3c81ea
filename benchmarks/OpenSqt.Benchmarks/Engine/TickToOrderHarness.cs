using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.Benchmarks.Connector;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Extensions;
using OpenSqt.TestSupport;

namespace OpenSqt.Benchmarks.Engine;

/// <summary>
/// Tick to order: a trade printed on the sim -> price stream through the connector (gRPC) -> engine decision -> place
/// order through the connector (gRPC) -> received by the sim. Each step moves the price one interval up, so each tick
/// causes exactly one new buy (and one trailing cancel). Steps are spaced so the default 50 ms throttle and the
/// 25 orders/s rate limit never hold a step back. Usage: tick-to-order [steps]
/// </summary>
internal static class TickToOrderHarness
{
    public static async Task RunAsync(string[] args)
    {
        var steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark", ContentRootPath = Directory.CreateTempSubdirectory("opensqt-bench").FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}",
            ["RemoteExchange:Address"] = connector.GrpcAddress.ToString(),
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
        while (!host.Ready)
        {
            await Task.Delay(20);
        }

        var anchor = host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        var arrivals = new System.Collections.Concurrent.ConcurrentDictionary<decimal, long>();
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in sim.SubscribeOrdersAsync(stop.Token))
                {
                    if (update.Status == OrderStatus.New && update.Side == OrderSide.Buy)
                    {
                        arrivals.TryAdd(update.Price, Stopwatch.GetTimestamp());
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Done.
            }
        });

        var latency = new Percentiles(steps);
        var warmup = 30;
        for (var step = 1; step <= steps + warmup; step++)
        {
            var price = anchor + (step * 100m);
            var expected = price - 100m;
            var start = Stopwatch.GetTimestamp();
            sim.Trade("BTCUSDT", price, 0.001m);
            var deadline = start + (2 * Stopwatch.Frequency);
            long arrived;
            while (!arrivals.TryGetValue(expected, out arrived))
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new TimeoutException($"no buy at {expected} within 2 s of the tick at {price}");
                }

                await Task.Yield();
            }

            if (step > warmup)
            {
                latency.Add(arrived - start);
            }

            await Task.Delay(100);
        }

        await stop.CancelAsync();
        await watcher;
        Console.WriteLine($"tick to order (sim trade -> connector -> engine -> place received by the sim): {latency.Summary()}");
        await app.StopAsync();
    }
}
