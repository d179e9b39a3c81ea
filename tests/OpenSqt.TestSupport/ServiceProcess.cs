using System.Diagnostics;
using System.Text;

namespace OpenSqt.TestSupport;

/// <summary>
/// One of our services as its own OS process (<c>dotnet &lt;Service&gt;.dll</c> from the test's output folder), configured
/// by environment variables as a deployment configures it, with its gRPC and HTTP endpoints on loopback ports. Its
/// output is kept for failure messages; <see cref="KillAsync"/> is a SIGKILL.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, string name, int grpcPort, int httpPort)
    {
        _process = process;
        Name = name;
        GrpcPort = grpcPort;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int GrpcPort { get; }

    public Uri GrpcAddress { get; }

    public Uri HttpAddress { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

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

    /// <summary>
    /// Starts <paramref name="assembly"/> (for example <c>OpenSqt.MarketMaker</c>); keys of <paramref name="settings"/>
    /// may use ':' or '__'.
    /// </summary>
    public static ServiceProcess Start(string assembly, IDictionary<string, string> settings)
    {
        var grpc = ConnectorHost.FreePort();
        var http = ConnectorHost.FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("opensqt-proc").FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"));
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
        return new ServiceProcess(process, assembly, grpc, http);
    }

    /// <summary>Kills the process at once (SIGKILL): no graceful stop, nothing it would do on exit.</summary>
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
            throw new TimeoutException($"{Name} did not exit within {timeout}: {Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>Throws with the process's output when it has exited: a readiness wait should not wait for a dead process.</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {Output}");
        }
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
