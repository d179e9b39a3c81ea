using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;

namespace OpenSqt.MarketMaker;

/// <summary>
/// Connects to the ExchangeConnector at start (with the client's backoff) and keeps watching it; the engine places
/// nothing while <see cref="Problem"/> is set.
/// </summary>
public sealed partial class ConnectorSession(RemoteExchange exchange, ILogger<ConnectorSession> logger) : BackgroundService
{
    private volatile string? _problem = "not connected to the ExchangeConnector yet";

    /// <summary>Null while the connector serves; otherwise what is wrong.</summary>
    public string? Problem => _problem;

    public string Venue => exchange.Name;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await exchange.ConnectAsync(stoppingToken).ConfigureAwait(false);
            _problem = null;
            var symbols = await exchange.GetSymbolsAsync(stoppingToken).ConfigureAwait(false);
            Log.Connected(logger, exchange.Name, symbols.Count);
        }
        catch (ExchangeException ex)
        {
            _problem = ex.Message;
            Log.Unreachable(logger, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Engine connected to venue {Venue} through the ExchangeConnector ({Count} symbols)")]
        public static partial void Connected(ILogger logger, string venue, int count);

        [LoggerMessage(2, LogLevel.Error, "Engine cannot reach the ExchangeConnector and will not trade: {Reason}")]
        public static partial void Unreachable(ILogger logger, string reason);
    }
}
