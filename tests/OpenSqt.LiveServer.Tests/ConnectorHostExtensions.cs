using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

public static class ConnectorHostExtensions
{
    /// <summary>
    /// Disposes the connector. The DI container disposes the sim twice (as SimExchange and through the IExchange
    /// factory) and the sim's second dispose throws ObjectDisposedException; the connector is down either way.
    /// </summary>
    public static async Task ShutDownAsync(this ConnectorHost host)
    {
        try
        {
            await host.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // See above: reported to the owner of OpenSqt.Exchanges.
        }
    }
}
