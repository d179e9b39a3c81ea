using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.LiveServer.Diagnostics;
using OpenSqt.LiveServer.Hub;
using OpenSqt.LiveServer.Options;
using OpenSqt.LiveServer.Protocol;

namespace OpenSqt.LiveServer.Feeds;

/// <summary>
/// The LiveServer's one session with the ExchangeConnector: one subscription per stream (klines of every watched
/// symbol, orders, account, positions), shared by every browser through the hub. It watches the connector's health to
/// tell browsers while it is cut off, reloads history, working orders, account and positions after every gap, and
/// starts a new session with backoff when a stream gives up. It only reads: nothing here places or cancels orders.
/// </summary>
public sealed class ConnectorFeed(
    RemoteExchange exchange,
    LiveHub hub,
    IOptions<LiveServerOptions> options,
    LiveServerMetrics metrics,
    TimeProvider time,
    ILogger<ConnectorFeed> logger) : BackgroundService
{
    private readonly LiveServerOptions _options = options.Value;
    private int _failures;
    private bool _safetySupported = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new ExponentialBackoff(_options.InitialReconnectBackoff, _options.MaxReconnectBackoff);
        while (!stoppingToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                await RunSessionAsync(stoppingToken).ConfigureAwait(false);
                reason = "the connector session ended";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ExchangeException ex)
            {
                reason = ex.Message;
            }
            catch (RpcException ex)
            {
                reason = ex.Status.Detail;
            }

            _failures++;
            var delay = backoff.Delay(_failures);
            await hub.PostAsync(new LinkInput(LinkInput.Connector, LinkStates.Disconnected, reason), stoppingToken).ConfigureAwait(false);
            LiveServerLog.ConnectorLost(logger, delay, reason);
            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task RunSessionAsync(CancellationToken cancellationToken)
    {
        await exchange.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var symbols = _options.Symbols.Count > 0 ? _options.Symbols : await exchange.GetSymbolsAsync(cancellationToken).ConfigureAwait(false);
        await hub.PostAsync(new SymbolsInput(exchange.Name, symbols), cancellationToken).ConfigureAwait(false);
        LiveServerLog.Watching(logger, symbols.Count, exchange.Name, _options.Interval);

        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = session.Token;
        var resync = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnReconnected(object? sender, StreamReconnectedEventArgs e) => resync.Writer.TryWrite(e.Stream);
        exchange.StreamReconnected += OnReconnected;
        var watched = new HashSet<string>(symbols, StringComparer.Ordinal);
        Task[] tasks =
        [
            PumpAsync("klines", exchange.SubscribeKlinesAsync(symbols, _options.Interval, token), c => new KlineInput(c), token),
            PumpAsync("orders", exchange.SubscribeOrdersAsync(token), u => new OrderUpdateInput(u), token),
            PumpAsync("account", exchange.SubscribeAccountAsync(token), a => new AccountInput(a), token),
            PumpAsync("positions", exchange.SubscribePositionsAsync(null, token), p => new ConnectorPositionsInput([p], Snapshot: false), token),
            SuperviseAsync(symbols, watched, resync.Reader, token),
        ];
        try
        {
            var first = await Task.WhenAny(tasks).ConfigureAwait(false);
            await first.ConfigureAwait(false);
            throw new ExchangeException(ExchangeErrorKind.Unavailable, "a connector stream ended");
        }
        finally
        {
            exchange.StreamReconnected -= OnReconnected;
            await session.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ExchangeException or RpcException)
            {
                // The session is over; the first failure is what we report.
            }
        }
    }

    private async Task PumpAsync<T>(string stream, IAsyncEnumerable<T> source, Func<T, HubInput> map, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in source.ConfigureAwait(false))
            {
                metrics.Upstream("connector");
                await hub.PostAsync(map(item), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ExchangeException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LiveServerLog.StreamFailed(logger, stream, ex.Message);
            throw;
        }
    }

    /// <summary>
    /// Loads the state once, then checks the connector's health: a failed check tells browsers the server is cut off;
    /// recovering from it, or a stream that reconnected by itself, reloads the state so nothing of the gap is missed.
    /// </summary>
    private async Task SuperviseAsync(IReadOnlyList<string> symbols, HashSet<string> watched, ChannelReader<string> resync, CancellationToken cancellationToken)
    {
        var needResync = true;
        var down = false;
        while (true)
        {
            if (needResync)
            {
                try
                {
                    await ResyncAsync(symbols, watched, cancellationToken).ConfigureAwait(false);
                    needResync = false;
                    down = false;
                    _failures = 0;
                    await hub.PostAsync(new LinkInput(LinkInput.Connector, LinkStates.Connected, $"connected to the ExchangeConnector serving {exchange.Name}"), cancellationToken).ConfigureAwait(false);
                }
                catch (ExchangeException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LiveServerLog.ResyncFailed(logger, "the current state", ex.Message);
                    down = true;
                    await hub.PostAsync(new LinkInput(LinkInput.Connector, LinkStates.Disconnected, ex.Message), cancellationToken).ConfigureAwait(false);
                }
            }

            using (var wait = new CancellationTokenSource(_options.ConnectorHealthInterval, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, wait.Token))
            {
                try
                {
                    await resync.ReadAsync(linked.Token).ConfigureAwait(false);
                    needResync = true;
                    continue;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Time for a health check.
                }
            }

            var health = await exchange.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            if (health.IsHealthy)
            {
                await PostSafetyAsync(cancellationToken).ConfigureAwait(false);
            }

            if (!health.IsHealthy)
            {
                down = true;
                needResync = false;
                await hub.PostAsync(new LinkInput(LinkInput.Connector, LinkStates.Disconnected, health.Description), cancellationToken).ConfigureAwait(false);
            }
            else if (down)
            {
                LiveServerLog.ConnectorBack(logger);
                needResync = true;
            }
        }
    }

    private async Task ResyncAsync(IReadOnlyList<string> symbols, HashSet<string> watched, CancellationToken cancellationToken)
    {
        foreach (var symbol in symbols)
        {
            var candles = await exchange.GetHistoricalKlinesAsync(symbol, _options.Interval, _options.HistoryLimit, cancellationToken).ConfigureAwait(false);
            await hub.PostAsync(new HistoryInput(symbol, candles), cancellationToken).ConfigureAwait(false);
        }

        var orders = await exchange.GetOpenOrdersAsync(null, cancellationToken).ConfigureAwait(false);
        await hub.PostAsync(new OpenOrdersInput([.. orders.Where(o => watched.Contains(o.Symbol))]), cancellationToken).ConfigureAwait(false);
        var account = await exchange.GetAccountAsync(cancellationToken).ConfigureAwait(false);
        await hub.PostAsync(new AccountInput(account), cancellationToken).ConfigureAwait(false);
        var positions = await exchange.GetPositionsAsync(null, cancellationToken).ConfigureAwait(false);
        await hub.PostAsync(new ConnectorPositionsInput(positions, Snapshot: true), cancellationToken).ConfigureAwait(false);
        await PostSafetyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The dead-man's switch and the engines' leases, read with every health check. A connector from before leases
    /// (v1) answers UNIMPLEMENTED: the page then shows no safety panel.
    /// </summary>
    private async Task PostSafetyAsync(CancellationToken cancellationToken)
    {
        if (!_safetySupported)
        {
            return;
        }

        try
        {
            var status = await exchange.GetSafetyStatusAsync(cancellationToken).ConfigureAwait(false);
            await hub.PostAsync(new SafetyInput(status), cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when ((ex.InnerException as RpcException)?.StatusCode == StatusCode.Unimplemented)
        {
            _safetySupported = false;
            LiveServerLog.SafetyUnsupported(logger);
        }
        catch (ExchangeException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The next health check reads it again; the rest of the page does not depend on it.
            LiveServerLog.ResyncFailed(logger, "the dead-man's switch status", ex.Message);
        }
    }
}
