using System.Diagnostics;
using System.Text;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The engine as its own OS process (the built OpenSqt.MarketMaker.dll), configured by environment variables.</summary>
public sealed class EngineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private EngineProcess(Process process, int grpcPort, int httpPort)
    {
        _process = process;
        GrpcPort = grpcPort;
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int GrpcPort { get; }

    public Uri HttpAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static EngineProcess Start(IDictionary<string, string> settings)
    {
        var grpc = ConnectorHost.FreePort();
        var http = ConnectorHost.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "OpenSqt.MarketMaker.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("opensqt-engine-proc").FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.Environment["Kestrel__Endpoints__grpc__Url"] = $"http://127.0.0.1:{grpc}";
        info.Environment["Kestrel__Endpoints__grpc__Protocols"] = "Http2";
        info.Environment["Kestrel__Endpoints__http__Url"] = $"http://127.0.0.1:{http}";
        info.Environment["Kestrel__Endpoints__http__Protocols"] = "Http1";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("PORT");
        foreach (var (key, value) in settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        return new EngineProcess(process, grpc, http);
    }

    /// <summary>Kills the process at once: no graceful stop, no cancel on exit.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits until the process has exited by itself; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the engine process did not exit within {timeout}: {Output}");
        }

        return _process.ExitCode;
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = HttpAddress, Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the engine exited with {_process.ExitCode}: {Output}");
            }

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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
