using System.Diagnostics;
using OpenSqt.Contracts;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Benchmarks.Connector;

/// <summary>
/// Place-order round trip: client -> gRPC over loopback -> connector -> sim and back, against the same call in process.
/// Orders are IOC far from the market, so each call runs the whole place path and nothing piles up on the book.
/// Usage: place-latency [calls] (connector hosted in this process), or place-latency [calls] [address] against a
/// connector running as its own process (for example EXCHANGE=sim PORT=50051 dotnet OpenSqt.ExchangeConnector.dll).
/// </summary>
internal static class PlaceLatencyHarness
{
    public static async Task RunAsync(string[] args)
    {
        if (args.Length > 1)
        {
            await RunRemoteAsync(int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture), new Uri(args[1]));
            return;
        }

        var calls = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        await using var host = await ConnectorHost.StartAsync();
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        var wire = new W.PlaceOrderRequest
        {
            Symbol = "BTCUSDT", Side = W.OrderSide.Buy, Type = W.OrderType.Limit, TimeInForce = W.TimeInForce.Ioc,
            Price = new Google.Type.Decimal { Value = "50000" }, Quantity = new Google.Type.Decimal { Value = "0.002" },
        };
        var domain = new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, TimeInForce = TimeInForce.Ioc, Price = 50_000m, Quantity = 0.002m };

        for (var i = 0; i < 2_000; i++)
        {
            await client.PlaceOrderAsync(wire);
            await host.Sim.PlaceOrderAsync(domain);
        }

        var grpc = new Percentiles(calls);
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await client.PlaceOrderAsync(wire);
            grpc.Add(Stopwatch.GetTimestamp() - start);
        }

        var inProcess = new Percentiles(calls);
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await host.Sim.PlaceOrderAsync(domain);
            inProcess.Add(Stopwatch.GetTimestamp() - start);
        }

        Console.WriteLine($"place-order round trip over gRPC (loopback): {grpc.Summary()}");
        Console.WriteLine($"place-order in process (sim directly):        {inProcess.Summary()}");
    }

    private static async Task RunRemoteAsync(int calls, Uri address)
    {
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(address);
        var client = new W.ExchangeService.ExchangeServiceClient(channel);
        var wire = new W.PlaceOrderRequest
        {
            Symbol = "BTCUSDT", Side = W.OrderSide.Buy, Type = W.OrderType.Limit, TimeInForce = W.TimeInForce.Ioc,
            Price = new Google.Type.Decimal { Value = "50000" }, Quantity = new Google.Type.Decimal { Value = "0.002" },
        };
        for (var i = 0; i < 2_000; i++)
        {
            await client.PlaceOrderAsync(wire);
        }

        var grpc = new Percentiles(calls);
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await client.PlaceOrderAsync(wire);
            grpc.Add(Stopwatch.GetTimestamp() - start);
        }

        Console.WriteLine($"place-order round trip over gRPC to the connector process at {address}: {grpc.Summary()}");
    }
}
