using System.Globalization;

namespace OpenSqt.AppHost;

/// <summary>A bad <c>LowLatency</c> setting; the message names the key and the allowed values.</summary>
public sealed class LowLatencyException(string message) : Exception(message);

/// <summary>
/// The latency mode of the connector and the engine (README, Latency). An order's way from a tick to the venue crosses
/// about ten thread hand-offs (the gRPC legs, Kestrel, HttpClient, the engine's inbox); a thread-pool worker that found
/// no work spins only briefly before it sleeps, and on a virtual machine waking a sleeping thread on an idle virtual CPU
/// costs from tens of microseconds to milliseconds: that wake-up is the tail of the tick-to-order latency. With
/// <c>LowLatency:ThreadPoolSpinLimit</c> (environment <c>LowLatency__ThreadPoolSpinLimit</c>) the AppHost hands the
/// connector and the engine the runtime's <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c>: how many rounds an idle
/// worker spins (yielding the CPU between rounds) before it sleeps, so that a worker is still awake when the next tick or
/// answer arrives. The price is the processor: with 1000 the two processes keep both cores of a 2-core machine busy.
/// Use it on a machine whose cores are the trading system's, never under a CPU quota (a Kubernetes CPU limit throttles
/// the spinning process). Unset: the runtime's default. The setting and its name are the runtime's
/// (dotnet/runtime, src/libraries/System.Private.CoreLib/src/System/Threading/PortableThreadPool.WorkerThread.cs:
/// <c>System.Threading.ThreadPool.UnfairSemaphoreSpinLimit</c>, environment <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c>).
/// </summary>
public static class LowLatency
{
    public const string ConfigurationKey = "LowLatency:ThreadPoolSpinLimit";
    public const string EnvironmentVariable = "LowLatency__ThreadPoolSpinLimit";

    /// <summary>The runtime's own setting, read by each .NET process as its thread pool starts.</summary>
    public const string RuntimeVariable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    public const int MaxSpinLimit = 100_000;

    /// <summary>The spin limit <paramref name="configured"/> asks for; null when unset (the runtime's default).</summary>
    /// <exception cref="LowLatencyException">Not a whole number from 0 to <see cref="MaxSpinLimit"/>.</exception>
    public static int? SpinLimit(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return null;
        }

        if (!int.TryParse(configured.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit > MaxSpinLimit)
        {
            throw new LowLatencyException(
                $"{ConfigurationKey} (environment variable {EnvironmentVariable}) is '{configured}'; allowed values: a whole number from 0 to {MaxSpinLimit} " +
                "(rounds an idle thread-pool worker of the connector and the engine spins before it sleeps; 1000 keeps both cores of a 2-core machine busy), or unset for the runtime's default.");
        }

        return limit;
    }
}
