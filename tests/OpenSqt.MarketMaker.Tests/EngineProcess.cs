using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The engine as its own OS process (the built OpenSqt.MarketMaker.dll), configured by environment variables.</summary>
public sealed class EngineProcess : IAsyncDisposable
{
    private readonly ServiceProcess _process;

    private EngineProcess(ServiceProcess process) => _process = process;

    public int GrpcPort => _process.GrpcPort;

    public Uri HttpAddress => _process.HttpAddress;

    public string Output => _process.Output;

    public static EngineProcess Start(IDictionary<string, string> settings) => new(ServiceProcess.Start("OpenSqt.MarketMaker", settings));

    /// <summary>Kills the process at once: no graceful stop, no cancel on exit.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>Waits until the process has exited by itself; returns its exit code.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            _process.ThrowIfExited();
            try
            {
                using var response = await http.GetAsync("/health");
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, timeout, "the engine process is ready");
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
