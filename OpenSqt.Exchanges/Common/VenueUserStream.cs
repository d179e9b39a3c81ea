using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>One venue WebSocket as its exchange sees it: reconnect signalling, state, disposal.</summary>
internal interface IVenueStream : IAsyncDisposable
{
    /// <summary>Raised after the stream came back; the gap must be reconciled.</summary>
    event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    bool IsConnected { get; }

    int Connections { get; }
}

/// <summary>
/// The shell every venue's private stream shares: the order, position and account broadcasters (order updates, with the
/// fills they carry, are lossless; the others keep the newest 10 000 per reader), one start, the coalesced account
/// refresh and an orderly dispose. A venue adds its socket (<see cref="UseSocket"/>: login, subscriptions, message
/// handling) and, where its account pushes are incomplete, asks for REST snapshots with <see cref="RequestAccountRefresh"/>.
/// </summary>
internal abstract class VenueUserStream : IVenueStream
{
    private readonly Channel<bool> _accountRefresh = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startGate = new();
    private readonly List<Task> _loops = [];
    private VenueWebSocket? _socket;
    private Task? _accountLoop;
    private bool _started;
    private int _disposed;
    private int _accountRefreshes;
    private int _accountRefreshesDeferred;
    private int _loginFailures;
    private bool _deferring;

    /// <param name="venue">The venue's name, for logs.</param>
    /// <param name="time">The clock of the refresh interval.</param>
    /// <param name="logger">Where refresh failures are logged.</param>
    /// <param name="fetchAccount">Reads the account over REST; null when the venue's pushes carry the whole account.</param>
    /// <param name="accountRefreshInterval">The shortest time between two REST refreshes however many are asked for.</param>
    protected VenueUserStream(string venue, TimeProvider time, ILogger logger, Func<CancellationToken, Task<Account>>? fetchAccount, TimeSpan accountRefreshInterval = default)
    {
        Venue = venue;
        Time = time;
        Logger = logger;
        FetchAccount = fetchAccount;
        AccountRefreshInterval = accountRefreshInterval;
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    /// <summary>Order updates and their fills; lossless, so a reader that falls behind still sees every fill.</summary>
    public StreamBroadcaster<OrderUpdate> Orders { get; } = new(capacity: null);

    public StreamBroadcaster<Position> Positions { get; } = new();

    public StreamBroadcaster<Account> Accounts { get; } = new();

    public bool IsConnected => Socket.IsConnected;

    public int Connections => Socket.Connections;

    /// <summary>REST account refreshes started since start (at most one per refresh interval).</summary>
    public int AccountRefreshes => Volatile.Read(ref _accountRefreshes);

    /// <summary>Refreshes that waited for the rest of the interval because the previous one was too recent.</summary>
    public int AccountRefreshesDeferred => Volatile.Read(ref _accountRefreshesDeferred);

    /// <summary>Whether a refresh was asked for and has not started yet.</summary>
    public bool AccountRefreshPending => _accountRefresh.Reader.Count > 0 || Volatile.Read(ref _deferring);

    protected string Venue { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    /// <summary>Reads the account over REST for <see cref="RequestAccountRefresh"/>; null when the pushes carry the whole account.</summary>
    public Func<CancellationToken, Task<Account>>? FetchAccount { get; init; }

    protected TimeSpan AccountRefreshInterval { get; }

    /// <summary>Cancelled when the stream is disposed; for the venue's own loops (<see cref="RunLoop"/>).</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <summary>The venue socket; set once by the venue's constructor through <see cref="UseSocket"/>.</summary>
    protected VenueWebSocket Socket => _socket ?? throw new InvalidOperationException("the venue stream has no socket yet");

    /// <summary>Opens the stream (once): the socket, the account refresh loop and the venue's own loops.</summary>
    public void EnsureStarted()
    {
        lock (_startGate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            StartAccountLoopLocked();
            OnStarting();
        }

        Socket.Start();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await DisposeMoreAsync().ConfigureAwait(false);
        if (_socket is not null)
        {
            await _socket.DisposeAsync().ConfigureAwait(false);
        }

        Task[] loops;
        lock (_startGate)
        {
            loops = [.. _loops];
        }

        foreach (var loop in loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        Orders.Complete();
        Positions.Complete();
        Accounts.Complete();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The venue's socket, built by its constructor with its login, subscriptions and message handler.</summary>
    protected void UseSocket(VenueWebSocket socket)
    {
        _socket = socket;
        socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    /// <summary>
    /// Asks for an account snapshot over REST (starting the refresh loop if the stream was not started, as when a test
    /// feeds pushes); requests beyond one pending are folded into it.
    /// </summary>
    protected void RequestAccountRefresh()
    {
        lock (_startGate)
        {
            StartAccountLoopLocked();
        }

        _accountRefresh.Writer.TryWrite(true);
    }

    private void StartAccountLoopLocked()
    {
        if (FetchAccount is not null && _accountLoop is null && Volatile.Read(ref _disposed) == 0)
        {
            _accountLoop = AccountLoopAsync(_stop.Token);
            _loops.Add(_accountLoop);
        }
    }

    /// <summary>Runs a venue loop until the stream is disposed (awaited by dispose).</summary>
    protected void RunLoop(Func<CancellationToken, Task> loop)
    {
        lock (_startGate)
        {
            _loops.Add(loop(_stop.Token));
        }
    }

    /// <summary>The venue accepted the login: the next refusal starts the backoff from its first step again.</summary>
    protected void LoginSucceeded() => Interlocked.Exchange(ref _loginFailures, 0);

    /// <summary>
    /// The venue refused the login: a new connection is tried after a growing delay (the initial reconnect delay,
    /// doubling up to 60 s), never in a tight loop against the venue.
    /// </summary>
    protected void ReconnectAfterLoginFailure(TimeSpan initialDelay)
    {
        var failures = Interlocked.Increment(ref _loginFailures);
        _ = ReconnectLaterAsync(ReconnectBackoff.Delay(failures, initialDelay, ReconnectBackoff.Maximum));
    }

    /// <summary>Called once, under the start lock, as the stream starts (before the socket): start the venue's loops here.</summary>
    protected virtual void OnStarting()
    {
    }

    /// <summary>Publishes a fresh account snapshot; a venue that also reconciles positions from it overrides this.</summary>
    protected virtual void OnAccountSnapshot(Account account) => Accounts.Publish(account);

    /// <summary>Whether a failed refresh is asked for again after the interval (when no push would bring the account back).</summary>
    protected virtual bool RetryFailedRefresh => false;

    /// <summary>Releases what the venue stream holds beyond the shell (its own heartbeat), before the socket closes.</summary>
    protected virtual ValueTask DisposeMoreAsync() => ValueTask.CompletedTask;

    private async Task ReconnectLaterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, Time, _stop.Token).ConfigureAwait(false);
            Socket.ForceReconnect();
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>
    /// One refresh per request, at most one per <see cref="AccountRefreshInterval"/>: requests that arrive while a refresh
    /// runs or before the interval has passed collapse into one pending request (the channel holds one), served when the
    /// interval ends. A burst of account pushes costs one refresh now and at most one more per interval.
    /// </summary>
    private async Task AccountLoopAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? last = null;
        await foreach (var _ in _accountRefresh.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (last is { } previous && AccountRefreshInterval - (Time.GetUtcNow() - previous) is var rest && rest > TimeSpan.Zero)
            {
                Interlocked.Increment(ref _accountRefreshesDeferred);
                Volatile.Write(ref _deferring, true);
                await Task.Delay(rest, Time, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _deferring, false);
            }

            last = Time.GetUtcNow();
            Interlocked.Increment(ref _accountRefreshes);
            try
            {
                OnAccountSnapshot(await FetchAccount!(cancellationToken).ConfigureAwait(false));
            }
            catch (ExchangeException ex)
            {
                VenueLog.AccountRefreshFailed(Logger, Venue, ex.Message);
                if (RetryFailedRefresh)
                {
                    RequestAccountRefresh();
                }
            }
        }
    }
}
