using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// The Binance futures user data stream: a listen key (created with POST, kept alive with PUT every
/// <see cref="BinanceOptions.ListenKeyKeepAlive"/>, replaced after <c>listenKeyExpired</c> or a keepalive that finds it
/// gone), one WebSocket on the routed <c>/private/ws?listenKey=</c> entry point (<see cref="BinanceOptions.UserStreamUri"/>;
/// the legacy <c>/ws/&lt;listenKey&gt;</c> delivers nothing since 2026-04-23) rotated before Binance's 24-hour limit
/// and reconnected by the no-data watchdog after <see cref="BinanceOptions.UserNoDataTimeout"/> of silence, and the
/// events it carries: <c>ORDER_TRADE_UPDATE</c> to the order stream (duplicates dropped by order, trade, status and
/// cumulative quantity), <c>ACCOUNT_UPDATE</c> to the position stream and, through a fresh account snapshot taken at
/// most once per <see cref="BinanceOptions.AccountRefreshInterval"/> (each costs 10 weight), to the account stream.
/// <c>TRADE_LITE</c> repeats a fill the next <c>ORDER_TRADE_UPDATE</c> carries in full, so it is not forwarded.
/// </summary>
public sealed class BinanceUserStream : IAsyncDisposable
{
    private const string ListenKeyPath = "/fapi/v1/listenKey";
    private int _disposed;
    private readonly BinanceRestClient _rest;
    private readonly BinanceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<CancellationToken, Task<Account>> _fetchAccount;
    private readonly Action<string, string>? _onUnknown;
    private readonly VenueWebSocket _socket;
    private readonly RecentKeys<(string OrderId, string? TradeId, OrderStatus Status, decimal Filled)> _seen = new();
    private readonly Channel<bool> _accountRefresh = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private string? _listenKey;
    private Task? _keepAlive;
    private Task? _accountLoop;
    private int _listenKeysCreated;
    private int _accountRefreshes;

    public BinanceUserStream(BinanceRestClient rest, BinanceOptions options, Func<CancellationToken, Task<Account>> fetchAccount, TimeProvider time, ILogger logger, VenueMetrics metrics, Action<string, string>? onUnknown = null)
    {
        _rest = rest;
        _options = options;
        _fetchAccount = fetchAccount;
        _onUnknown = onUnknown;
        _time = time;
        _logger = logger;
        _socket = new VenueWebSocket(BinanceParsers.Venue, new VenueWebSocketSettings
        {
            Name = "user",
            ResolveUri = ResolveUriAsync,
            OnMessage = HandleMessage,
            Heartbeat = HeartbeatRule.PingFrames(options.PingInterval, options.PingTimeout),
            NoDataTimeout = options.UserNoDataTimeout,
            MaxLifetime = options.ConnectionLifetime,
            RotationMargin = options.ConnectionRotationMargin,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    /// <summary>Raised after the stream came back (drop, listen key expiry); the gap must be reconciled.</summary>
    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public StreamBroadcaster<OrderUpdate> Orders { get; } = new();

    public StreamBroadcaster<Position> Positions { get; } = new();

    public StreamBroadcaster<Account> Accounts { get; } = new();

    /// <summary>REST account refreshes started since start (at most one per <see cref="BinanceOptions.AccountRefreshInterval"/>).</summary>
    public int AccountRefreshes => Volatile.Read(ref _accountRefreshes);

    /// <summary>Distinct listen keys used since start (a new one after each expiry).</summary>
    public int ListenKeysCreated => Volatile.Read(ref _listenKeysCreated);

    public bool IsConnected => _socket.IsConnected;

    public int Connections => _socket.Connections;

    /// <summary>Opens the stream (once); called by the first subscription to any of its streams.</summary>
    public void EnsureStarted()
    {
        lock (_gate)
        {
            if (_keepAlive is not null)
            {
                return;
            }

            _socket.Start();
            _keepAlive = KeepAliveLoopAsync(_stop.Token);
            _accountLoop = AccountLoopAsync(_stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _socket.DisposeAsync().ConfigureAwait(false);
        foreach (var task in new[] { _keepAlive, _accountLoop })
        {
            if (task is not null)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }
        }

        Orders.Complete();
        Positions.Complete();
        Accounts.Complete();
        _stop.Dispose();
    }

    /// <summary>
    /// POST /fapi/v1/listenKey before every connect: Binance answers the active key (and extends it) or a new one when
    /// the old one expired, so a reconnect never reuses a dead key.
    /// </summary>
    private async ValueTask<Uri> ResolveUriAsync(CancellationToken cancellationToken)
    {
        using var doc = await _rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, ListenKeyPath) { Costs = BinanceRateLimits.Ip(1), Operation = "listenKey.create" }, cancellationToken).ConfigureAwait(false);
        var key = BinanceParsers.ParseListenKey(doc.RootElement);
        if (Interlocked.Exchange(ref _listenKey, key) != key)
        {
            Interlocked.Increment(ref _listenKeysCreated);
            BinanceLog.ListenKeyCreated(_logger);
        }

        return _options.UserStreamUri(key);
    }

    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ListenKeyKeepAlive, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Volatile.Read(ref _listenKey) is null)
            {
                continue;
            }

            try
            {
                await _rest.SendAsync(new VenueRequest(HttpMethod.Put, ListenKeyPath) { Costs = BinanceRateLimits.Ip(1), Operation = "listenKey.keepalive" }, cancellationToken).ConfigureAwait(false);
                BinanceLog.ListenKeyKeptAlive(_logger);
            }
            catch (ExchangeException ex) when (ex.VenueCode == BinanceErrors.ListenKeyDoesNotExist)
            {
                BinanceLog.ListenKeyLost(_logger, ex.Message);
                RenewListenKey();
            }
            catch (ExchangeException ex)
            {
                BinanceLog.KeepAliveFailed(_logger, ex.Message);
            }
        }
    }

    private void RenewListenKey()
    {
        Volatile.Write(ref _listenKey, null);
        _socket.ForceReconnect();
    }

    private async Task AccountLoopAsync(CancellationToken cancellationToken)
    {
        // The channel holds one pending request (further pushes are folded into it); after each refresh the loop rests
        // for the interval, so a burst of ACCOUNT_UPDATEs costs one refresh now and at most one more per interval.
        await foreach (var _ in _accountRefresh.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _accountRefreshes);
            try
            {
                Accounts.Publish(await _fetchAccount(cancellationToken).ConfigureAwait(false));
            }
            catch (ExchangeException ex)
            {
                BinanceLog.AccountRefreshFailed(_logger, ex.Message);
            }

            if (_options.AccountRefreshInterval > TimeSpan.Zero)
            {
                await Task.Delay(_options.AccountRefreshInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Handles one user-stream message (public for tests and benchmarks that feed recorded events).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        switch (BinanceParsers.PeekUserEventType(message.Span))
        {
            case BinanceUserEventType.OrderTradeUpdate:
                var update = BinanceParsers.ParseOrderTradeUpdate(message.Span, _onUnknown);
                if (_seen.TryAdd((update.ExchangeOrderId, update.LastFill?.TradeId, update.Status, update.FilledQuantity)))
                {
                    Orders.Publish(update);
                }

                break;
            case BinanceUserEventType.AccountUpdate:
                using (var doc = JsonDocument.Parse(message))
                {
                    var (_, @event) = BinanceParsers.UnwrapUserEvent(doc.RootElement);
                    var (_, positions, _) = BinanceParsers.ParseAccountUpdate(@event);
                    foreach (var position in positions)
                    {
                        Positions.Publish(position);
                    }
                }

                _accountRefresh.Writer.TryWrite(true);
                break;
            case BinanceUserEventType.ListenKeyExpired:
                BinanceLog.ListenKeyExpired(_logger);
                RenewListenKey();
                break;
        }
    }
}
