using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.MarketMaker.Risk;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>
/// The engine's lease at the connector (issue 14, level 2): taken before the first order for the engine's client-id
/// prefix (the state file's book), renewed every third of its time, released after a graceful stop. If the engine dies
/// or hangs, the lease lapses and the connector cancels the engine's working orders. A renewal that finds the lease
/// gone (it lapsed while the engine could not reach the connector) raises a critical alert, takes a new lease and asks
/// for a reconciliation, because the connector cancelled the orders in between.
/// </summary>
internal sealed partial class ConnectorLeaseKeeper(RemoteExchange remote, RiskState risk, TimeSpan ttl, TimeProvider time, ILogger logger)
{
    private Action<string?> _remember = _ => { };

    public const string ClientName = "market-maker";

    private ConnectorLease? _lease;

    public ConnectorLease? Current => Volatile.Read(ref _lease);

    /// <summary>
    /// Resumes the lease this state file's engine held before a restart (<paramref name="savedLeaseId"/>) while it is
    /// still live, so a quick restart keeps its orders; otherwise takes a new one. <paramref name="remember"/> saves the
    /// lease id in the state file.
    /// </summary>
    public async Task StartAsync(string prefix, string? savedLeaseId, Action<string?> remember, CancellationToken cancellationToken)
    {
        _remember = remember;
        if (savedLeaseId is not null)
        {
            try
            {
                var resumed = await remote.RenewLeaseAsync(savedLeaseId, cancellationToken).ConfigureAwait(false);
                if (resumed.Prefix == prefix)
                {
                    Volatile.Write(ref _lease, resumed);
                    Log.Resumed(logger, prefix);
                    return;
                }
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                // It lapsed while the engine was down: the connector cancelled its orders; the reconciliation at start sees that.
            }
            catch (ExchangeException ex) when ((ex.InnerException as Grpc.Core.RpcException)?.StatusCode == Grpc.Core.StatusCode.Unimplemented)
            {
                Log.Unsupported(logger);
                return;
            }
        }

        await AcquireAsync(prefix, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the lease, waiting while another client (or this engine's previous, dead instance) still holds the prefix:
    /// once that lease lapses the connector cancels its orders and frees the prefix.
    /// </summary>
    private async Task AcquireAsync(string prefix, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var lease = await remote.AcquireLeaseAsync(prefix, ClientName, ttl, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _lease, lease);
                _remember(lease.Id);
                Log.Acquired(logger, prefix, ttl.TotalSeconds);
                return;
            }
            catch (ExchangeException ex) when ((ex.InnerException as Grpc.Core.RpcException)?.StatusCode == Grpc.Core.StatusCode.Unimplemented)
            {
                // A connector from before leases (v1): trade as before, but say that nothing cancels our orders if we die.
                Log.Unsupported(logger);
                return;
            }
            catch (ExchangeException ex) when (ex.Kind is ExchangeErrorKind.AlreadyExists or ExchangeErrorKind.Unavailable or ExchangeErrorKind.RateLimited)
            {
                Log.Waiting(logger, prefix, ex.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, ttl.Ticks));
            }
        }
    }

    /// <summary>Renews until <paramref name="cancellationToken"/> ends; <paramref name="lapsed"/> runs after a lapse was repaired.</summary>
    public async Task RenewAsync(Action lapsed, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ttl / 3, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Current is not { } lease)
            {
                continue;
            }

            try
            {
                Volatile.Write(ref _lease, await remote.RenewLeaseAsync(lease.Id, cancellationToken).ConfigureAwait(false));
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                var message = $"the connector lease of '{lease.Prefix}' lapsed (the engine did not renew it within {ttl.TotalSeconds:0} s): the connector cancelled this engine's working orders; taking a new lease and reconciling";
                Log.Lapsed(logger, message);
                risk.Alert("", "lease_lapsed", "critical", message);
                await AcquireAsync(lease.Prefix, cancellationToken).ConfigureAwait(false);
                lapsed();
            }
            catch (ExchangeException ex)
            {
                // The connector is unreachable or busy: the next tick tries again (the lease has two more chances).
                Log.RenewFailed(logger, ex.Message);
            }
        }
    }

    /// <summary>Ends the lease after a graceful stop: the engine has done with its orders what CancelOnExit says.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _lease, null) is not { } lease)
        {
            return;
        }

        try
        {
            await remote.ReleaseLeaseAsync(lease.Id, cancellationToken).ConfigureAwait(false);
            _remember(null);
            Log.Released(logger, lease.Prefix);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
        {
            // It lapsed meanwhile; the connector already handled it.
        }
        catch (ExchangeException ex)
        {
            Log.ReleaseFailed(logger, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Information, "Connector lease taken for client order ids '{Prefix}*' ({TtlSeconds} s): if this engine dies, the connector cancels its orders")]
        public static partial void Acquired(ILogger logger, string prefix, double ttlSeconds);

        [LoggerMessage(301, LogLevel.Warning, "Waiting for the connector lease of '{Prefix}*': {Reason}; trying again in {DelaySeconds} s")]
        public static partial void Waiting(ILogger logger, string prefix, string reason, double delaySeconds);

        [LoggerMessage(302, LogLevel.Error, "{Message}")]
        public static partial void Lapsed(ILogger logger, string message);

        [LoggerMessage(303, LogLevel.Warning, "Renewing the connector lease failed: {Reason}")]
        public static partial void RenewFailed(ILogger logger, string reason);

        [LoggerMessage(304, LogLevel.Information, "Connector lease of '{Prefix}*' released")]
        public static partial void Released(ILogger logger, string prefix);

        [LoggerMessage(307, LogLevel.Information, "Connector lease of '{Prefix}*' resumed after a restart: the orders of the previous run stay the engine's own")]
        public static partial void Resumed(ILogger logger, string prefix);

        [LoggerMessage(306, LogLevel.Warning, "The connector offers no leases (a v1 connector): if this engine dies, its orders stay working")]
        public static partial void Unsupported(ILogger logger);

        [LoggerMessage(305, LogLevel.Warning, "Releasing the connector lease failed: {Reason}")]
        public static partial void ReleaseFailed(ILogger logger, string reason);
    }
}
