using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Safety;

/// <summary>
/// The two levels of the dead-man's switch (issue 14).
/// Level 1: the venue's own cancel-all-after countdown (<see cref="IVenueDeadMansSwitch"/>), armed for every symbol the
/// connector has orders on and refreshed every quarter of its timeout, so that the venue cancels everything when the
/// connector itself dies. Level 2: client leases (<see cref="ClientLeases"/>); when one lapses, the connector cancels the
/// working orders whose client order id starts with the lease's prefix, and only those.
/// </summary>
public sealed class ConnectorSafety : BackgroundService
{
    private const int EventBuffer = 256;

    private readonly IExchange _exchange;
    private readonly IVenueDeadMansSwitch? _switch;
    private readonly DeadMansSwitchOptions _options;
    private readonly ClientLeases _leases;
    private readonly TimeProvider _time;
    private readonly ConnectorMetrics _metrics;
    private readonly ILogger<ConnectorSafety> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ArmedState> _armed = new(StringComparer.Ordinal);
    private readonly List<Channel<W.SafetyEvent>> _subscribers = [];
    private readonly SemaphoreSlim _venueCalls = new(1, 1);
    private readonly Dictionary<string, List<Order>> _cleanup = new(StringComparer.Ordinal);
    private string? _lastError;
    private long _lapsed;
    private long _cancelledByLapse;

    public ConnectorSafety(IExchange exchange, ClientLeases leases, IOptions<DeadMansSwitchOptions> options, TimeProvider time, ConnectorMetrics metrics, ILogger<ConnectorSafety> logger)
    {
        _exchange = exchange;
        _switch = exchange as IVenueDeadMansSwitch;
        _options = options.Value;
        _leases = leases;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Whether the venue's countdown is in use: the venue has one and the timeout is not 0.</summary>
    public bool SwitchEnabled => _switch is not null && _options.TimeoutSeconds > 0;

    /// <summary>The venue's reason when it last refused to arm; null while arming works.</summary>
    public string? LastSwitchError
    {
        get
        {
            lock (_gate)
            {
                return _lastError;
            }
        }
    }

    public ClientLeases Leases => _leases;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.TimeoutSeconds == 0)
        {
            SafetyLog.SwitchDisabled(_logger, _exchange.Name);
        }
        else if (_switch is null)
        {
            SafetyLog.SwitchUnsupported(_logger, _exchange.Name);
        }
        else if (_options.Timeout < _switch.MinimumTimeout || _options.Timeout > _switch.MaximumTimeout)
        {
            throw new OptionsValidationException(DeadMansSwitchOptions.SectionName + ":TimeoutSeconds", typeof(DeadMansSwitchOptions),
            [
                $"Connector:DeadMansSwitch:TimeoutSeconds (environment variable Connector__DeadMansSwitch__TimeoutSeconds) is {_options.TimeoutSeconds}; " +
                $"{_exchange.Name} accepts 0 (disabled) or {_switch.MinimumTimeout.TotalSeconds:0} to {_switch.MaximumTimeout.TotalSeconds:0} seconds",
            ]);
        }

        return base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Makes sure the venue's countdown covers <paramref name="symbol"/> before an order is placed on it. A venue that
    /// refuses is recorded (health Degraded with its reason, an event) and the order still goes out.
    /// </summary>
    public async ValueTask EnsureArmedAsync(string symbol, CancellationToken cancellationToken)
    {
        if (!SwitchEnabled)
        {
            return;
        }

        var key = KeyFor(symbol);
        lock (_gate)
        {
            if (_armed.ContainsKey(key))
            {
                return;
            }
        }

        await ArmAsync([key], cancellationToken).ConfigureAwait(false);
    }

    public W.SafetyStatus Status()
    {
        var status = new W.SafetyStatus
        {
            Exchange = _exchange.Name,
            LapsedLeases = Interlocked.Read(ref _lapsed),
            OrdersCancelledByLapse = Interlocked.Read(ref _cancelledByLapse),
            VenueSwitch = new W.VenueSwitchStatus
            {
                Supported = _switch is not null,
                Enabled = SwitchEnabled,
                TimeoutSeconds = _options.TimeoutSeconds,
                Scope = _switch?.Scope == DeadMansSwitchScope.Account ? "account" : "symbol",
                Note = _switch is null
                    ? $"{_exchange.Name} offers no cancel-all-after countdown"
                    : _options.TimeoutSeconds == 0 ? "disabled by Connector:DeadMansSwitch:TimeoutSeconds = 0" : "",
            },
        };
        lock (_gate)
        {
            status.VenueSwitch.LastError = _lastError ?? "";
            foreach (var (key, state) in _armed.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                status.VenueSwitch.Armed.Add(new W.ArmedSwitch
                {
                    Symbol = key,
                    LastRefreshedAt = Timestamp.FromDateTimeOffset(state.RefreshedAt),
                    FiresAt = Timestamp.FromDateTimeOffset(state.RefreshedAt + _options.Timeout),
                });
            }
        }

        status.Leases.AddRange(_leases.Live.Select(ToWire));
        return status;
    }

    /// <summary>
    /// Registers a reader of safety events from now on; dispose it to stop. A slow reader loses the oldest events
    /// (they are notifications: the state itself is in <see cref="Status"/>).
    /// </summary>
    public SafetySubscription Subscribe()
    {
        var channel = Channel.CreateBounded<W.SafetyEvent>(new BoundedChannelOptions(EventBuffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            _subscribers.Add(channel);
        }

        return new SafetySubscription(channel.Reader, () =>
        {
            lock (_gate)
            {
                _subscribers.Remove(channel);
            }
        });
    }

    public ClientLease Acquire(string prefix, string clientName, int ttlSeconds)
    {
        var lease = _leases.Acquire(prefix, clientName, ttlSeconds);
        SafetyLog.LeaseAcquired(_logger, lease.ClientName, lease.Prefix, (int)lease.Ttl.TotalSeconds);
        Publish(W.SafetyEvent.Types.Kind.LeaseAcquired, lease, $"lease of {lease.Ttl.TotalSeconds:0} s taken");
        return lease;
    }

    public ClientLease Release(string leaseId)
    {
        var lease = _leases.Release(leaseId);
        SafetyLog.LeaseReleased(_logger, lease.ClientName, lease.Prefix);
        Publish(W.SafetyEvent.Types.Kind.LeaseReleased, lease, "released; its orders are left as they are");
        return lease;
    }

    public static W.Lease ToWire(ClientLease lease) => new()
    {
        LeaseId = lease.Id,
        ClientOrderIdPrefix = lease.Prefix,
        ClientName = lease.ClientName,
        TtlSeconds = (int)lease.Ttl.TotalSeconds,
        ExpiresAt = Timestamp.FromDateTimeOffset(lease.ExpiresAt),
        LastRenewedAt = Timestamp.FromDateTimeOffset(lease.RenewedAt),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (SwitchEnabled)
        {
            await ArmSymbolsWithOrdersAsync(stoppingToken).ConfigureAwait(false);
        }

        var lastRefresh = _time.GetUtcNow();
        using var timer = new PeriodicTimer(_options.LeaseCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await HandleLapsesAsync(stoppingToken).ConfigureAwait(false);
                if (SwitchEnabled && _time.GetUtcNow() - lastRefresh >= _options.RefreshInterval)
                {
                    lastRefresh = _time.GetUtcNow();
                    string[] keys;
                    lock (_gate)
                    {
                        keys = [.. _armed.Keys];
                    }

                    await ArmAsync(keys, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// On a graceful stop the venue's countdown is disarmed only when no client holds a lease: a client still trading
    /// through this connector keeps the venue's protection until the connector comes back or the countdown runs out.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (!SwitchEnabled)
        {
            return;
        }

        string[] keys;
        lock (_gate)
        {
            keys = [.. _armed.Keys];
        }

        if (keys.Length == 0)
        {
            return;
        }

        var leases = _leases.Count;
        if (leases > 0)
        {
            SafetyLog.SwitchLeftArmed(_logger, keys.Length, leases);
            return;
        }

        foreach (var key in keys)
        {
            try
            {
                await _switch!.DisarmAsync(key.Length == 0 ? null : key, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    _armed.Remove(key);
                }

                Publish(W.SafetyEvent.Types.Kind.SwitchDisarmed, key, 0, "disarmed on a graceful stop");
            }
            catch (Exception ex) when (ex is ExchangeException or OperationCanceledException)
            {
                SafetyLog.DisarmFailed(_logger, Describe(key), ex.Message);
            }
        }
    }

    private async Task ArmSymbolsWithOrdersAsync(CancellationToken cancellationToken)
    {
        try
        {
            var orders = await _exchange.GetOpenOrdersAsync(null, cancellationToken).ConfigureAwait(false);
            var keys = orders.Select(o => KeyFor(o.Symbol)).Distinct(StringComparer.Ordinal).ToArray();
            await ArmAsync(keys, cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            RecordRefusal(null, ex.Message);
        }
    }

    private async Task ArmAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        await _venueCalls.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var key in keys)
            {
                try
                {
                    await _switch!.ArmAsync(key.Length == 0 ? null : key, _options.Timeout, cancellationToken).ConfigureAwait(false);
                    bool first;
                    lock (_gate)
                    {
                        first = !_armed.ContainsKey(key);
                        _armed[key] = new ArmedState(_time.GetUtcNow());
                        _lastError = null;
                    }

                    _metrics.SwitchRefresh("ok");
                    if (first)
                    {
                        SafetyLog.SwitchArmed(_logger, _exchange.Name, Describe(key), _options.TimeoutSeconds);
                        Publish(W.SafetyEvent.Types.Kind.SwitchArmed, key, 0, $"countdown of {_options.TimeoutSeconds} s armed");
                    }
                }
                catch (ExchangeException ex)
                {
                    _metrics.SwitchRefresh("refused");
                    RecordRefusal(key, ex.Message);
                }
            }
        }
        finally
        {
            _venueCalls.Release();
        }
    }

    private void RecordRefusal(string? key, string reason)
    {
        var message = $"{_exchange.Name} refused to arm its cancel-all-after countdown for {Describe(key ?? "")}: {reason}";
        lock (_gate)
        {
            _lastError = message;
        }

        SafetyLog.SwitchRefused(_logger, message);
        Publish(W.SafetyEvent.Types.Kind.SwitchRefused, key ?? "", 0, message);
    }

    private async Task HandleLapsesAsync(CancellationToken cancellationToken)
    {
        foreach (var lease in _leases.TakeLapsed())
        {
            Interlocked.Increment(ref _lapsed);
            _metrics.LeaseLapsed();
            SafetyLog.LeaseLapsed(_logger, lease.ClientName, lease.Prefix, lease.ExpiresAt);
            _lapsedLeases[lease.Prefix] = lease;
            _pendingListing.Add(lease.Prefix);
        }

        foreach (var prefix in _lapsedLeases.Keys.ToArray())
        {
            await CleanUpAsync(prefix, cancellationToken).ConfigureAwait(false);
        }
    }

    // Touched only by the check loop (ExecuteAsync), one pass at a time.
    private readonly HashSet<string> _pendingListing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClientLease> _lapsedLeases = new(StringComparer.Ordinal);

    /// <summary>Cancels the orders a lapsed lease left working; whatever fails is tried again on the next check.</summary>
    private async Task CleanUpAsync(string prefix, CancellationToken cancellationToken)
    {
        var lease = _lapsedLeases[prefix];
        if (_pendingListing.Contains(prefix))
        {
            try
            {
                var open = await _exchange.GetOpenOrdersAsync(null, cancellationToken).ConfigureAwait(false);
                _cleanup[prefix] = open.Where(o => o.ClientOrderId?.StartsWith(prefix, StringComparison.Ordinal) == true).ToList();
                _pendingListing.Remove(prefix);
            }
            catch (ExchangeException ex)
            {
                SafetyLog.LapseCleanupFailed(_logger, prefix, ex.Message);
                return;
            }
        }

        // Only the orders working when the lease lapsed: a client that takes the prefix again afterwards is not touched.
        var remaining = new List<Order>();
        var cancelled = 0;
        foreach (var order in _cleanup[prefix])
        {
            try
            {
                await _exchange.CancelOrderAsync(order.Symbol, OrderRef.ByExchangeId(order.ExchangeOrderId), cancellationToken).ConfigureAwait(false);
                cancelled++;
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                // Gone already: nothing to cancel.
            }
            catch (ExchangeException ex)
            {
                SafetyLog.LapseCleanupFailed(_logger, prefix, $"{order.Symbol} {order.ClientOrderId}: {ex.Message}");
                remaining.Add(order);
            }
        }

        Interlocked.Add(ref _cancelledByLapse, cancelled);
        _metrics.LeaseOrdersCancelled(cancelled);
        if (remaining.Count > 0)
        {
            _cleanup[prefix] = remaining;
            return;
        }

        _cleanup.Remove(prefix);
        _lapsedLeases.Remove(prefix);
        _leases.Cleaned(prefix);
        SafetyLog.LapseCleanedUp(_logger, lease.ClientName, prefix, cancelled);
        Publish(W.SafetyEvent.Types.Kind.LeaseLapsed, lease, $"lease lapsed at {lease.ExpiresAt:O}; its working orders were cancelled", cancelled);
    }

    private void Publish(W.SafetyEvent.Types.Kind kind, ClientLease lease, string message, int cancelled = 0) =>
        Publish(new W.SafetyEvent
        {
            Kind = kind,
            ClientOrderIdPrefix = lease.Prefix,
            ClientName = lease.ClientName,
            OrdersCancelled = cancelled,
            Message = message,
            Time = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
        });

    private void Publish(W.SafetyEvent.Types.Kind kind, string symbol, int cancelled, string message) =>
        Publish(new W.SafetyEvent
        {
            Kind = kind,
            Symbol = symbol,
            OrdersCancelled = cancelled,
            Message = message,
            Time = Timestamp.FromDateTimeOffset(_time.GetUtcNow()),
        });

    private void Publish(W.SafetyEvent item)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    private string KeyFor(string symbol) => _switch?.Scope == DeadMansSwitchScope.Account ? "" : symbol;

    private static string Describe(string key) => key.Length == 0 ? "the account" : key;

    public override void Dispose()
    {
        _venueCalls.Dispose();
        base.Dispose();
    }

    private readonly record struct ArmedState(DateTimeOffset RefreshedAt);
}

/// <summary>A registered reader of safety events; disposing it unregisters it.</summary>
public sealed class SafetySubscription(ChannelReader<W.SafetyEvent> reader, Action unregister) : IDisposable
{
    public ChannelReader<W.SafetyEvent> Reader { get; } = reader;

    public void Dispose() => unregister();
}
