using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Engine;

public enum PlaceResult
{
    /// <summary>The venue took the order (answer of the place call or found by client id after an unknown outcome).</summary>
    Placed = 1,

    /// <summary>The venue refused the order; it does not exist.</summary>
    Refused,

    /// <summary>The outcome was unknown and the lookup by client id says the order never arrived.</summary>
    NeverArrived,

    /// <summary>Still unknown; reconciliation will look it up again. The order is never re-sent.</summary>
    Unresolved,

    /// <summary>A configuration error the engine cannot trade through (hedge-mode account, bad credentials).</summary>
    Fatal,
}

public sealed record PlaceOutcome(PlaceResult Result, Order? Order, ExchangeErrorKind ErrorKind, string Message)
{
    /// <summary>When the last attempt left for the venue, its rate limit tokens taken (TimeProvider timestamp; 0 if none did).</summary>
    public long SentTimestamp { get; init; }
}

public enum CancelResult
{
    Done = 1,
    Failed,
}

public sealed record CancelOutcome(CancelResult Result, ExchangeErrorKind ErrorKind, string Message);

public enum LookupResult
{
    Found = 1,
    NotFound,
    Unresolved,
}

public sealed record LookupOutcome(LookupResult Result, Order? Order, string Message);

/// <summary>
/// Every order call of the engine goes through here: a token bucket per symbol, then one for the account (OpenSQT: 25
/// per second, burst 30), so one busy symbol queues behind its own bucket and never starves another's cancels; retries with
/// exponential backoff and jitter for transient failures only, and no blind re-send: a place call whose outcome is
/// unknown is resolved by looking the order up by its client id.
/// </summary>
public sealed partial class OrderGateway
{
    private readonly IExchange _exchange;
    private readonly RetryOptions _retry;
    private readonly TimeProvider _time;
    private readonly ILogger<OrderGateway> _logger;
    private readonly RequestPacer _limiter;
    private readonly ConcurrentDictionary<string, RequestPacer> _symbolLimiters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<int>> _waitingOnTime = new(StringComparer.Ordinal);
    private readonly RateLimitOptions _rate;

    public OrderGateway(IExchange exchange, IOptions<MarketMakerOptions> options, TimeProvider time, ILogger<OrderGateway> logger)
    {
        _exchange = exchange;
        _retry = options.Value.Retry;
        _time = time;
        _logger = logger;
        _rate = options.Value.RateLimit;
        _limiter = Bucket(_rate.OrdersPerSecond, _rate.Burst, time);
    }

    public IExchange Exchange => _exchange;

    public async Task<PlaceOutcome> PlaceAsync(OrderRequest request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (!await AcquireAsync(request.Symbol, cancellationToken).ConfigureAwait(false))
            {
                return new PlaceOutcome(PlaceResult.Refused, null, ExchangeErrorKind.RateLimited, "the engine's own order rate limit queue is full");
            }

            var sentAt = _time.GetUtcNow();
            var sent = _time.GetTimestamp();
            try
            {
                var order = await _exchange.PlaceOrderAsync(request, cancellationToken).ConfigureAwait(false);
                return new PlaceOutcome(PlaceResult.Placed, order, ExchangeErrorKind.Unknown, "") { SentTimestamp = sent };
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.RateLimited && attempt <= _retry.MaxAttempts)
            {
                var delay = ex.RetryAfter ?? Backoff(attempt);
                Log.Retrying(_logger, "place", request.ClientOrderId ?? "", attempt, delay, ex.Message);
                await DelayAsync(request.Symbol, delay, cancellationToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex) when (IsAmbiguous(ex.Kind))
            {
                // The order may have reached the venue: look it up, never send it again.
                Log.Ambiguous(_logger, request.ClientOrderId ?? "", ex.Kind, ex.Message);
                return await ResolveAsync(request, sentAt, ex.Kind, ex.Message, cancellationToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex) when (ex.Kind is ExchangeErrorKind.PositionModeMismatch or ExchangeErrorKind.Unauthenticated or ExchangeErrorKind.PermissionDenied)
            {
                return new PlaceOutcome(PlaceResult.Fatal, null, ex.Kind, ex.Message);
            }
            catch (ExchangeException ex)
            {
                return new PlaceOutcome(PlaceResult.Refused, null, ex.Kind, ex.Message);
            }
            catch (Exception ex) when (ex is not ExchangeException and not OperationCanceledException)
            {
                // Anything else the call threw (a transport fault) says nothing about whether the venue took the order.
                Log.Ambiguous(_logger, request.ClientOrderId ?? "", ExchangeErrorKind.Unknown, ex.Message);
                return await ResolveAsync(request, sentAt, ExchangeErrorKind.Unknown, ex.Message, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Whether a place that ended so may still have reached the venue. Besides lost answers and unreachable venues, an
    /// internal error is an unknown outcome, not a refusal: Binance says a 5xx "execution status is UNKNOWN" and -1007
    /// "Send status unknown" (binance/binance-spot-api-docs rest-api.md and errors.md; USD-M futures general-info).
    /// </summary>
    private static bool IsAmbiguous(ExchangeErrorKind kind) =>
        kind is ExchangeErrorKind.UnknownOutcome or ExchangeErrorKind.Unavailable or ExchangeErrorKind.AlreadyExists or ExchangeErrorKind.Unknown;

    /// <summary>
    /// Resolves a place of unknown outcome by client id. A lookup that finds the order settles it at once; one that does
    /// not is trusted only once <see cref="RetryOptions.PlaceOutcomeWindow"/> has passed since the send (before, the
    /// request may still be on its way), so the lookups go on over time until then. Unresolved when the venue keeps not
    /// answering: reconciliation looks the order up later, and it is never sent again.
    /// </summary>
    private async Task<PlaceOutcome> ResolveAsync(OrderRequest request, DateTimeOffset sentAt, ExchangeErrorKind kind, string message, CancellationToken cancellationToken)
    {
        var window = sentAt + _retry.PlaceOutcomeWindow;
        var last = "";
        for (var attempt = 1; ; attempt++)
        {
            var checkedAt = _time.GetUtcNow();
            var lookup = await LookupAsync(request.Symbol, request.ClientOrderId!, cancellationToken).ConfigureAwait(false);
            switch (lookup.Result)
            {
                case LookupResult.Found:
                    return new PlaceOutcome(PlaceResult.Placed, lookup.Order, kind, message);
                case LookupResult.NotFound when checkedAt >= window:
                    return new PlaceOutcome(PlaceResult.NeverArrived, null, kind, $"{message}; the venue does not know client order {request.ClientOrderId}");
            }

            last = lookup.Message;
            if (lookup.Result == LookupResult.Unresolved && attempt >= Math.Max(1, _retry.MaxAttempts) && checkedAt >= window)
            {
                return new PlaceOutcome(PlaceResult.Unresolved, null, kind, $"{message}; lookup by client id: {last}");
            }

            var wait = Backoff(attempt);
            var untilWindow = window - _time.GetUtcNow();
            if (lookup.Result == LookupResult.NotFound && untilWindow > TimeSpan.Zero && untilWindow < wait)
            {
                wait = untilWindow;
            }

            await DelayAsync(request.Symbol, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Looks an order up by client id, retrying transient failures.</summary>
    public async Task<LookupOutcome> LookupAsync(string symbol, string clientOrderId, CancellationToken cancellationToken)
    {
        var last = "";
        for (var attempt = 1; attempt <= Math.Max(1, _retry.MaxAttempts); attempt++)
        {
            try
            {
                var order = await _exchange.GetOrderAsync(symbol, OrderRef.ByClientId(clientOrderId), cancellationToken).ConfigureAwait(false);
                if (order.Status == OrderStatus.Unknown)
                {
                    // It exists, but whether it works or is final is not known: never a reason to free or re-send.
                    return new LookupOutcome(LookupResult.Unresolved, null, $"the venue reported {clientOrderId} in a status the connector does not know");
                }

                return new LookupOutcome(LookupResult.Found, order, "");
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                return new LookupOutcome(LookupResult.NotFound, null, ex.Message);
            }
            catch (ExchangeException ex) when (ex.IsTransient)
            {
                last = ex.Message;
                if (attempt < _retry.MaxAttempts)
                {
                    await DelayAsync(symbol, ex.RetryAfter ?? Backoff(attempt), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (ExchangeException ex)
            {
                return new LookupOutcome(LookupResult.Unresolved, null, ex.Message);
            }
        }

        return new LookupOutcome(LookupResult.Unresolved, null, last);
    }

    /// <summary>Cancels one order; an order the venue no longer knows, or already finished, counts as done.</summary>
    public async Task<CancelOutcome> CancelAsync(string symbol, string? exchangeOrderId, string clientOrderId, CancellationToken cancellationToken)
    {
        var reference = exchangeOrderId is not null ? OrderRef.ByExchangeId(exchangeOrderId) : OrderRef.ByClientId(clientOrderId);
        for (var attempt = 1; ; attempt++)
        {
            if (!await AcquireAsync(symbol, cancellationToken).ConfigureAwait(false))
            {
                return new CancelOutcome(CancelResult.Failed, ExchangeErrorKind.RateLimited, "the engine's own order rate limit queue is full");
            }

            try
            {
                await _exchange.CancelOrderAsync(symbol, reference, cancellationToken).ConfigureAwait(false);
                return new CancelOutcome(CancelResult.Done, ExchangeErrorKind.Unknown, "");
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                return new CancelOutcome(CancelResult.Done, ex.Kind, ex.Message);
            }
            catch (ExchangeException ex) when (ex.IsTransient && attempt <= _retry.MaxAttempts)
            {
                var delay = ex.RetryAfter ?? Backoff(attempt);
                Log.Retrying(_logger, "cancel", clientOrderId, attempt, delay, ex.Message);
                await DelayAsync(symbol, delay, cancellationToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex)
            {
                return new CancelOutcome(CancelResult.Failed, ex.Kind, ex.Message);
            }
        }
    }

    /// <summary>
    /// How many of the symbol's calls wait for time to pass (a rate-limit token, a retry's backoff, a wake-up): until the
    /// clock moves they do nothing. The in-process replay counts them as idle (see <see cref="SymbolEngine.IsIdle"/>) and
    /// moves its clock on; live trading does not read it.
    /// </summary>
    public int WaitingOnTime(string symbol) => _waitingOnTime.TryGetValue(symbol, out var waiting) ? Volatile.Read(ref waiting.Value) : 0;

    /// <summary>Waits <paramref name="delay"/> on the engine's clock, counted in <see cref="WaitingOnTime"/> for <paramref name="symbol"/>.</summary>
    public async Task DelayAsync(string symbol, TimeSpan delay, CancellationToken cancellationToken)
    {
        var waiting = Waiting(symbol);
        Interlocked.Increment(ref waiting.Value);
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref waiting.Value);
        }
    }

    /// <summary>One token of the symbol's bucket, then one of the account's; a wait for either counts in <see cref="WaitingOnTime"/>.</summary>
    private ValueTask<bool> AcquireAsync(string symbol, CancellationToken cancellationToken)
    {
        var own = _symbolLimiters.GetOrAdd(symbol, static (_, self) => Bucket(self._rate.PerSymbolOrdersPerSecond, self._rate.PerSymbolBurst, self._time), this);
        var first = own.AcquireAsync(cancellationToken);
        if (first.IsCompletedSuccessfully)
        {
            if (!first.Result)
            {
                return ValueTask.FromResult(false);
            }

            var second = _limiter.AcquireAsync(cancellationToken);
            return second.IsCompletedSuccessfully ? second : WhileWaitingAsync(symbol, second);
        }

        return WhileWaitingAsync(symbol, AcquireBothAsync(first, cancellationToken));
    }

    private async ValueTask<bool> AcquireBothAsync(ValueTask<bool> own, CancellationToken cancellationToken) =>
        await own.ConfigureAwait(false) && await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);

    private async ValueTask<bool> WhileWaitingAsync(string symbol, ValueTask<bool> pending)
    {
        var waiting = Waiting(symbol);
        Interlocked.Increment(ref waiting.Value);
        try
        {
            return await pending.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref waiting.Value);
        }
    }

    private StrongBox<int> Waiting(string symbol) => _waitingOnTime.GetOrAdd(symbol, static _ => new StrongBox<int>());

    private static RequestPacer Bucket(int perSecond, int burst, TimeProvider time) => new(perSecond, burst, queueLimit: 100_000, time);

    /// <summary>Exponential backoff with full jitter between half and the whole delay.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ticks = Math.Min(_retry.MaxDelay.Ticks, _retry.InitialDelay.Ticks * (1L << Math.Min(attempt - 1, 20)));
        return TimeSpan.FromTicks((ticks / 2) + (long)(Random.Shared.NextDouble() * (ticks / 2)));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Transient failure of {Call} for client order {ClientOrderId} (attempt {Attempt}), retrying in {Delay}: {Reason}")]
        public static partial void Retrying(ILogger logger, string call, string clientOrderId, int attempt, TimeSpan delay, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Place of client order {ClientOrderId} ended with {Kind}; looking it up by client id instead of sending it again: {Reason}")]
        public static partial void Ambiguous(ILogger logger, string clientOrderId, ExchangeErrorKind kind, string reason);
    }
}
