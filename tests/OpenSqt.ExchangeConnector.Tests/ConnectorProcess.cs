using System.Diagnostics;
using System.Text;
using Grpc.Net.Client;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>
/// The ExchangeConnector as its own OS process (the built OpenSqt.ExchangeConnector.dll), configured by environment
/// variables as a deployment configures it, with its gRPC and HTTP endpoints on loopback ports.
/// </summary>
public sealed class ConnectorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ConnectorProcess(Process process, int grpcPort, int httpPort)
    {
        _process = process;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri GrpcAddress { get; }

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

    /// <summary>Starts the connector; <paramref name="environment"/> holds variables such as <c>EXCHANGE</c> and <c>API_KEY</c>.</summary>
    public static ConnectorProcess Start(IDictionary<string, string> environment)
    {
        var grpc = ConnectorHost.FreePort();
        var http = ConnectorHost.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "OpenSqt.ExchangeConnector.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("opensqt-connector-proc").FullName,
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
        foreach (var (key, value) in environment)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        return new ConnectorProcess(process, grpc, http);
    }

    public GrpcChannel CreateChannel() => GrpcChannel.ForAddress(GrpcAddress);

    /// <summary>Kills the process at once (SIGKILL): no graceful stop, no disarm, no cancel on exit.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits until the connector answers a gRPC call.</summary>
    public async Task WaitReadyAsync(W.ExchangeService.ExchangeServiceClient client, TimeSpan timeout)
    {
        await Eventually.TrueAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the connector exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                await client.GetOpenOrdersAsync(new W.GetOpenOrdersRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                return true;
            }
            catch (Grpc.Core.RpcException)
            {
                return false;
            }
        }, timeout, "the connector process answers gRPC");
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
