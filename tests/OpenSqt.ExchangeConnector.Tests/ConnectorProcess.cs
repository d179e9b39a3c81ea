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
    private readonly ServiceProcess _process;

    private ConnectorProcess(ServiceProcess process) => _process = process;

    public Uri GrpcAddress => _process.GrpcAddress;

    public Uri HttpAddress => _process.HttpAddress;

    public string Output => _process.Output;

    /// <summary>Starts the connector; <paramref name="environment"/> holds variables such as <c>EXCHANGE</c> and <c>API_KEY</c>.</summary>
    public static ConnectorProcess Start(IDictionary<string, string> environment) => new(ServiceProcess.Start("OpenSqt.ExchangeConnector", environment));

    public GrpcChannel CreateChannel() => GrpcChannel.ForAddress(GrpcAddress);

    /// <summary>Kills the process at once (SIGKILL): no graceful stop, no disarm, no cancel on exit.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>Waits until the connector answers a gRPC call.</summary>
    public async Task WaitReadyAsync(W.ExchangeService.ExchangeServiceClient client, TimeSpan timeout)
    {
        await Eventually.TrueAsync(async () =>
        {
            _process.ThrowIfExited();
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

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
