using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>One connector on the sim and one LiveServer on it, shared by a test class.</summary>
public sealed class LiveServerFixture : IAsyncLifetime
{
    public ConnectorHost Connector { get; private set; } = null!;

    public LiveServerHost Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Connector = await ConnectorHost.StartAsync();
        Server = await LiveServerHost.StartAsync(Connector.GrpcAddress);
        await Server.WaitUntilConnectedAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Connector.DisposeAsync();
    }
}
