using BenchmarkDotNet.Running;
using OpenSqt.Benchmarks.Connector;
using OpenSqt.Benchmarks.Engine;

// Load harnesses by name; anything else goes to BenchmarkDotNet.
switch (args.FirstOrDefault())
{
    case "place-latency":
        await PlaceLatencyHarness.RunAsync(args.Skip(1).ToArray());
        break;
    case "price-fanout":
        await PriceFanOutHarness.RunAsync(args.Skip(1).ToArray());
        break;
    case "liveserver-fanout":
        await OpenSqt.Benchmarks.LiveServer.LiveServerFanOutHarness.RunAsync(args.Skip(1).ToArray());
        break;
    case "state-write":
        await StateWriteHarness.RunAsync(args.Skip(1).ToArray());
        break;
    case "tick-to-order":
        await TickToOrderHarness.RunAsync(args.Skip(1).ToArray());
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(PlaceLatencyHarness).Assembly).Run(args);
        break;
}
