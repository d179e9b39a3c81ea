using System.Text.Json;
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
/// most once per <see cref="VenueOptions.AccountRefreshInterval"/> (each costs 10 weight), to the account stream.
/// <c>TRADE_LITE</c> repeats a fill the next <c>ORDER_TRADE_UPDATE</c> carries in full, so it is not forwarded.
/// </summary>
internal sealed class BinanceUserStream : VenueUserStream
{
    private const string ListenKeyPath = "/fapi/v1/listenKey";
    private readonly BinanceRestClient _rest;
    private readonly BinanceOptions _options;
    private readonly Action<string, string>? _onUnknown;
    private readonly RecentKeys<(string OrderId, string? TradeId, OrderStatus Status, decimal Filled)> _seen = new();
    private string? _listenKey;
    private int _listenKeysCreated;

    public BinanceUserStream(BinanceRestClient rest, BinanceOptions options, Func<CancellationToken, Task<Account>> fetchAccount, TimeProvider time, ILogger logger, VenueMetrics metrics, Action<string, string>? onUnknown = null)
        : base(BinanceParsers.Venue, time, logger, fetchAccount, options.AccountRefreshInterval)
    {
        _rest = rest;
        _options = options;
        _onUnknown = onUnknown;
        UseSocket(new VenueWebSocket(BinanceParsers.Venue, new VenueWebSocketSettings
        {
            Name = "user",
            ResolveUri = ResolveUriAsync,
            OnMessage = HandleMessage,
            Heartbeat = HeartbeatRule.PingFrames(options.PingInterval, options.PingTimeout),
            NoDataTimeout = options.UserNoDataTimeout,
            MaxLifetime = options.ConnectionLifetime,
            RotationMargin = options.ConnectionRotationMargin,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics));
    }

    /// <summary>Distinct listen keys used since start (a new one after each expiry).</summary>
    public int ListenKeysCreated => Volatile.Read(ref _listenKeysCreated);

    protected override void OnStarting() => RunLoop(KeepAliveLoopAsync);

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
            BinanceLog.ListenKeyCreated(Logger);
        }

        return _options.UserStreamUri(key);
    }

    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ListenKeyKeepAlive, Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Volatile.Read(ref _listenKey) is null)
            {
                continue;
            }

            try
            {
                await _rest.SendAsync(new VenueRequest(HttpMethod.Put, ListenKeyPath) { Costs = BinanceRateLimits.Ip(1), Operation = "listenKey.keepalive" }, cancellationToken).ConfigureAwait(false);
                BinanceLog.ListenKeyKeptAlive(Logger);
            }
            catch (ExchangeException ex) when (ex.VenueCode == BinanceErrors.ListenKeyDoesNotExist)
            {
                BinanceLog.ListenKeyLost(Logger, ex.Message);
                RenewListenKey();
            }
            catch (ExchangeException ex)
            {
                BinanceLog.KeepAliveFailed(Logger, ex.Message);
            }
        }
    }

    private void RenewListenKey()
    {
        Volatile.Write(ref _listenKey, null);
        Socket.ForceReconnect();
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

                RequestAccountRefresh();
                break;
            case BinanceUserEventType.ListenKeyExpired:
                BinanceLog.ListenKeyExpired(Logger);
                RenewListenKey();
                break;
        }
    }
}
