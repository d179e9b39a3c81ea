using System.Runtime.InteropServices;
using Garnet;

// The embedded metadata cache: Microsoft Garnet (MIT, speaks the Redis protocol) in this process, for machines with
// neither a container runtime nor redis-server. Arguments are Garnet's own (https://microsoft.github.io/garnet/docs/getting-started/configuration);
// the AppHost passes --port and --bind exactly as it does to redis-server.
string[] defaults =
[
    // Sized for instrument metadata, not a data set: a small log and index instead of Garnet's multi-gigabyte defaults.
    "--memory", "64m", "--page", "4m", "--index", "16m",
    "--logger-level", "Warning",
    "-q",
];

using var stop = new ManualResetEventSlim();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

try
{
    using var server = new GarnetServer([.. defaults, .. args]);
    server.Start();
    Console.WriteLine($"Garnet {typeof(GarnetServer).Assembly.GetName().Version} serves the Redis protocol ({string.Join(' ', args)})");
    stop.Wait();
    Console.WriteLine("Garnet stopping");
    return 0;
}
catch (Exception ex)
{
    // A taken port or a bad argument: say so and exit non-zero, so the AppHost reports the resource as exited.
    Console.Error.WriteLine($"The embedded cache could not start: {ex.Message}");
    return 1;
}

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Set();
}
