using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// The Bybit v5 private WebSocket (<c>/v5/private</c>): on every connection <c>{"op":"auth","args":[key, expires,
/// hex(HMAC("GET/realtime" + expires))]}</c>, then a subscription to <c>order</c>, <c>execution</c>, <c>position</c>
/// and <c>wallet</c>; <c>{"op":"ping"}</c> every <see cref="VenueOptions.PingInterval"/>. Order events carry the
/// order's state, execution events its fills: a fill is attached to the order event that reports it (or, when the
/// order event came first, sent beside the last state), executions are deduplicated by <c>execId</c> and order events
/// by (order, status, cumulative quantity). The wallet topic sends "no snapshot event ... when the subscription is
/// successful" (https://bybit-exchange.github.io/docs/v5/websocket/private/wallet), so every (re)connection fetches the
/// account over REST (<see cref="VenueUserStream.FetchAccount"/>) and publishes it, at most once per
/// <see cref="VenueOptions.AccountRefreshInterval"/> however often the socket reconnects. Items with a value the
/// connector does not know, and positions on instruments that are not listed, are skipped, logged and counted.
/// </summary>
internal sealed class BybitUserStream : VenueUserStream
{
    private const int StateCapacity = 20_000;
    private const string DcpTopic = "dcp.future";
    private const string DcpRequestPrefix = "dcp-";
    private readonly VenueCredentials _credentials;
    private readonly BybitOptions _options;
    private readonly ServerClock _clock;
    private readonly RecentKeys<string> _executions = new();
    private readonly RecentKeys<(string OrderId, OrderStatus Status, decimal Filled)> _orderStates = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<(Fill Fill, decimal FilledAfter)>> _pendingFills = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OrderUpdate> _lastState = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Position> _positions = new(StringComparer.Ordinal);
    private readonly BybitSkips _skips;
    private long _requestId;
    private int _accountSnapshots;
    private readonly Lock _dcpGate = new();
    private bool _dcpWanted;
    private bool _dcpSubscribed;
    private TaskCompletionSource<string?>? _dcpSubscribe;
    private TaskCompletionSource? _dcpUnsubscribe;

    public BybitUserStream(BybitOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics, BybitSkips? skips = null)
        : base(BybitParsers.Venue, time, logger, fetchAccount: null, options.AccountRefreshInterval)
    {
        _skips = skips ?? new BybitSkips(logger, metrics);
        _options = options;
        _credentials = credentials;
        _clock = clock;
        UseSocket(new VenueWebSocket(BybitParsers.Venue, new VenueWebSocketSettings
        {
            Name = "private",
            ResolveUri = _ => ValueTask.FromResult(options.PrivateStreamUri),
            OnConnected = AuthenticateAndSubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = new HeartbeatRule { TextPing = "{\"op\":\"ping\"}", TextPingInterval = options.PingInterval, IsPong = BybitMarketStream.IsPong },
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics));
    }

    /// <summary>The account's margin type for positions of the position topic (its <c>tradeMode</c> is deprecated).</summary>
    public Func<string> MarginType { get; init; } = () => BybitParsers.CrossMargin;

    /// <summary>Whether a symbol is a listed linear perpetual; pushes on others are skipped.</summary>
    public Func<string, bool> IsListed { get; init; } = _ => true;

    /// <summary>Account snapshots fetched over REST since start.</summary>
    public int AccountSnapshots => Volatile.Read(ref _accountSnapshots);

    /// <summary>Nothing else brings the account back until a wallet push, so a failed snapshot is asked for again.</summary>
    protected override bool RetryFailedRefresh => true;

    /// <summary>The auth message for a connection: expires is venue time plus <see cref="BybitOptions.AuthExpiry"/>.</summary>
    public static string AuthMessage(string apiKey, string apiSecret, long expiresMs, string requestId)
    {
        var signature = BybitSigner.Sign(apiSecret, BybitSigner.WsAuthPayload(expiresMs));
        return $"{{\"req_id\":\"{requestId}\",\"op\":\"auth\",\"args\":[{JsonSerializer.Serialize(apiKey)},{expiresMs.ToString(CultureInfo.InvariantCulture)},\"{signature}\"]}}";
    }

    private async Task AuthenticateAndSubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bybit needs API_KEY");
        var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bybit needs API_SECRET");
        var expires = _clock.NowMilliseconds + (long)_options.AuthExpiry.TotalMilliseconds;
        await connection.SendTextAsync(AuthMessage(key, secret, expires, NextId()), cancellationToken).ConfigureAwait(false);
        await connection.SendTextAsync($"{{\"req_id\":\"{NextId()}\",\"op\":\"subscribe\",\"args\":[\"order\",\"execution\",\"position\",\"wallet\"]}}", cancellationToken).ConfigureAwait(false);

        // The disconnection protection counts only connections subscribed to its topic: every new connection
        // subscribes again while it is wanted (a separate request, so a refusal leaves the other topics alone).
        bool wanted;
        lock (_dcpGate)
        {
            _dcpSubscribed = false;
            wanted = _dcpWanted;
            if (wanted)
            {
                _dcpSubscribe ??= new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        if (wanted)
        {
            await connection.SendTextAsync(DcpRequest("subscribe"), cancellationToken).ConfigureAwait(false);
        }

        // No wallet snapshot follows the subscription: ask for the account once the topics are subscribed.
        if (FetchAccount is not null)
        {
            RequestAccountRefresh();
        }
    }

    /// <summary>
    /// A snapshot (fetched after every connection, at most once per <see cref="VenueOptions.AccountRefreshInterval"/>)
    /// replaces what the pushes left: a position closed while the socket was down is published closed.
    /// </summary>
    protected override void OnAccountSnapshot(Account account)
    {
        Interlocked.Increment(ref _accountSnapshots);
        List<Position> closed;
        lock (_gate)
        {
            var held = account.Positions.Select(p => p.Symbol).ToHashSet(StringComparer.Ordinal);
            closed = [.. _positions.Values.Where(p => p.Size != 0 && !held.Contains(p.Symbol)).Select(p => p with { Size = 0, UnrealizedPnl = 0, UpdateTime = account.UpdateTime })];
            _positions.Clear();
            foreach (var position in account.Positions)
            {
                _positions[position.Symbol] = position;
            }
        }

        foreach (var position in closed.Concat(account.Positions))
        {
            Positions.Publish(position);
        }

        Accounts.Publish(account);
    }

    private string NextId() => "p" + Interlocked.Increment(ref _requestId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether the live connection is subscribed to <c>dcp.future</c>.</summary>
    public bool DisconnectProtectionSubscribed
    {
        get
        {
            lock (_dcpGate)
            {
                return _dcpSubscribed && IsConnected;
            }
        }
    }

    /// <summary>
    /// Keeps the private connection subscribed to <c>dcp.future</c> (https://bybit-exchange.github.io/docs/v5/websocket/private/dcp:
    /// DCP fires when every connection subscribed to it is dead), now and after every reconnection. Returns once Bybit
    /// confirmed the subscription; throws with Bybit's reason when it refuses, or when no connection confirms it in time.
    /// </summary>
    public async Task EnsureDisconnectProtectionAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task<string?> confirmed;
        bool send;
        lock (_dcpGate)
        {
            _dcpWanted = true;
            if (_dcpSubscribed && IsConnected)
            {
                return;
            }

            send = _dcpSubscribe is null && IsConnected;
            _dcpSubscribe ??= new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
            confirmed = _dcpSubscribe.Task;
        }

        EnsureStarted();
        if (send)
        {
            try
            {
                await Socket.SendTextAsync(DcpRequest("subscribe"), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The connection went away: the next one subscribes when it connects.
            }
        }

        string? refusal;
        try
        {
            refusal = await confirmed.WaitAsync(timeout, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ExchangeException(ExchangeErrorKind.Unavailable,
                $"the private stream did not confirm its dcp.future subscription within {timeout.TotalSeconds:0} s (connected: {IsConnected}); Bybit's disconnection protection is not in force");
        }

        if (refusal is not null)
        {
            throw new ExchangeException(ExchangeErrorKind.PermissionDenied, $"Bybit refused the dcp.future subscription: {refusal}");
        }
    }

    /// <summary>Stops subscribing to <c>dcp.future</c> and unsubscribes the live connection, so closing it does not trigger DCP.</summary>
    public async Task StopDisconnectProtectionAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task done;
        lock (_dcpGate)
        {
            _dcpWanted = false;
            if (!_dcpSubscribed || !IsConnected)
            {
                _dcpSubscribed = false;
                return;
            }

            _dcpUnsubscribe ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done = _dcpUnsubscribe.Task;
        }

        await Socket.SendTextAsync(DcpRequest("unsubscribe"), cancellationToken).ConfigureAwait(false);
        try
        {
            await done.WaitAsync(timeout, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ExchangeException(ExchangeErrorKind.Unavailable, $"Bybit did not confirm the dcp.future unsubscription within {timeout.TotalSeconds:0} s");
        }
    }

    private string DcpRequest(string op) => $"{{\"req_id\":\"{DcpRequestPrefix}{NextId()}\",\"op\":\"{op}\",\"args\":[\"{DcpTopic}\"]}}";

    private void OnDcpAnswer(string op, bool success, string reason)
    {
        TaskCompletionSource<string?>? subscribe = null;
        TaskCompletionSource? unsubscribe = null;
        lock (_dcpGate)
        {
            if (op == "subscribe")
            {
                _dcpSubscribed = success;
                subscribe = _dcpSubscribe;
                _dcpSubscribe = null;
            }
            else
            {
                _dcpSubscribed = false;
                unsubscribe = _dcpUnsubscribe;
                _dcpUnsubscribe = null;
            }
        }

        subscribe?.TrySetResult(success ? null : reason);
        unsubscribe?.TrySetResult();
        if (op == "subscribe" && success)
        {
            BybitLog.DcpSubscribed(Logger);
        }
        else if (op == "subscribe")
        {
            BybitLog.DcpRefused(Logger, reason);
        }
    }

    /// <summary>Handles one private message (public for tests that feed recorded events).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (root.GetStringOrNull("op") is { } op)
        {
            var success = !root.TryGetProperty("success", out var s) || s.ValueKind != JsonValueKind.False;
            if (op == "auth")
            {
                if (success)
                {
                    LoginSucceeded();
                    BybitLog.Authenticated(Logger);
                }
                else
                {
                    BybitLog.AuthRefused(Logger, root.GetStringOrNull("ret_msg") ?? "");
                    ReconnectAfterLoginFailure(_options.ReconnectInitialDelay);
                }
            }
            else if (op is "subscribe" or "unsubscribe" && (root.GetStringOrNull("req_id") ?? "").StartsWith(DcpRequestPrefix, StringComparison.Ordinal))
            {
                OnDcpAnswer(op, success, root.GetStringOrNull("ret_msg") ?? "");
            }
            else if (op == "subscribe" && !success)
            {
                BybitLog.SubscriptionRefused(Logger, root.GetStringOrNull("ret_msg") ?? "");
            }

            return;
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        switch (root.GetStringOrNull("topic"))
        {
            case "order":
                foreach (var item in data.EnumerateArray())
                {
                    if (item.GetStringOrNull("category") is null or BybitParsers.Category)
                    {
                        OrderUpdate update;
                        try
                        {
                            update = BybitParsers.ParseOrderUpdate(item);
                        }
                        catch (BybitUnknownValueException ex)
                        {
                            _skips.Unknown("order event", "orderStream", ex);
                            continue;
                        }

                        HandleOrder(update);
                    }
                }

                break;
            case "execution" or "execution.fast":
                foreach (var item in data.EnumerateArray())
                {
                    if (item.GetStringOrNull("category") is not (null or BybitParsers.Category))
                    {
                        continue;
                    }

                    Fill? fill;
                    try
                    {
                        fill = BybitParsers.ParseExecution(item);
                    }
                    catch (BybitUnknownValueException ex)
                    {
                        _skips.Unknown("execution", "executionStream", ex);
                        continue;
                    }

                    if (fill is not null)
                    {
                        var (orderQty, leaves) = BybitParsers.ExecutionProgress(item);
                        HandleExecution(fill, orderQty - leaves);
                    }
                }

                break;
            case "position":
                foreach (var item in data.EnumerateArray())
                {
                    if (item.GetStringOrNull("category") is null or BybitParsers.Category)
                    {
                        var position = BybitParsers.ParsePosition(item, MarginType());
                        if (!IsListed(position.Symbol))
                        {
                            _skips.Unlisted("position", position.Symbol, "positionStream");
                            continue;
                        }

                        lock (_gate)
                        {
                            _positions[position.Symbol] = position;
                        }

                        Positions.Publish(position);
                    }
                }

                break;
            case "wallet":
                foreach (var item in data.EnumerateArray())
                {
                    if (item.GetStringOrNull("accountType") is null or "UNIFIED")
                    {
                        Position[] held;
                        lock (_gate)
                        {
                            held = [.. _positions.Values.Where(p => p.Size != 0)];
                        }

                        Accounts.Publish(BybitParsers.ParseWallet(item, held, BybitParsers.Time(root, "creationTime")));
                    }
                }

                break;
        }
    }

    private void HandleOrder(OrderUpdate update)
    {
        if (!_orderStates.TryAdd((update.ExchangeOrderId, update.Status, update.FilledQuantity)))
        {
            return;
        }

        var published = new List<OrderUpdate>();
        lock (_gate)
        {
            if (update.FilledQuantity > 0 && _pendingFills.Remove(update.ExchangeOrderId, out var fills))
            {
                // Several executions before one order event: each earlier fill goes out as the partial state it left.
                fills.Sort((a, b) => a.FilledAfter.CompareTo(b.FilledAfter));
                for (var i = 0; i < fills.Count - 1; i++)
                {
                    if (fills[i].FilledAfter < update.FilledQuantity && _orderStates.TryAdd((update.ExchangeOrderId, OrderStatus.PartiallyFilled, fills[i].FilledAfter)))
                    {
                        published.Add(update with { Status = OrderStatus.PartiallyFilled, FilledQuantity = fills[i].FilledAfter, LastFill = fills[i].Fill, UpdateTime = fills[i].Fill.Timestamp });
                    }
                }

                update = update with { LastFill = fills[^1].Fill };
            }

            if (_lastState.Count >= StateCapacity)
            {
                _lastState.Clear();
            }

            _lastState[update.ExchangeOrderId] = update;
        }

        published.Add(update);
        foreach (var item in published)
        {
            Orders.Publish(item);
        }
    }

    private void HandleExecution(Fill fill, decimal filledAfter)
    {
        if (!_executions.TryAdd(fill.TradeId))
        {
            return;
        }

        OrderUpdate? late = null;
        lock (_gate)
        {
            if (_lastState.TryGetValue(fill.ExchangeOrderId, out var last) && last.FilledQuantity >= filledAfter)
            {
                // The order event already reported this quantity: deliver the fill beside that state.
                late = last with { LastFill = fill, UpdateTime = fill.Timestamp };
            }
            else
            {
                if (!_pendingFills.TryGetValue(fill.ExchangeOrderId, out var fills))
                {
                    fills = [];
                    _pendingFills[fill.ExchangeOrderId] = fills;
                }

                fills.Add((fill, filledAfter));
            }
        }

        if (late is not null)
        {
            Orders.Publish(late);
        }
    }
}
