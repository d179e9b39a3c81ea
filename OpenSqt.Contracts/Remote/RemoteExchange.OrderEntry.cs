using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Remote;

/// <summary>
/// Places and cancels over the connector's <c>OrderEntry</c> stream. A unary call opens an HTTP/2 stream and runs the
/// connector's request pipeline for every order; measured on loopback (the <c>tick-to-order</c> harness) that was most
/// of an order's way from the engine to the venue. The stream is opened at the first order and again after it breaks;
/// a connector that does not serve it (UNIMPLEMENTED: an older connector, or a v1 server) is answered by the unary calls
/// from then on, which is safe because a request to an unknown method was not served.
/// </summary>
public sealed partial class RemoteExchange
{
    private readonly Lock _orderEntryLock = new();
    private OrderEntryStream? _orderEntry;
    private readonly CancellationTokenSource _closing = new();
    private volatile bool _orderEntryUnsupported;
    private volatile bool _closed;
    private long _correlation;

    /// <summary>Whether places and cancels go over the stream; once closed, whatever still comes uses unary calls.</summary>
    private bool UsesOrderEntryStream => !_orderEntryUnsupported && !_closed && _options.OrderEntry == RemoteExchangeOptions.OrderEntryStreamMode;

    /// <summary>
    /// Sends one request on the order entry stream and returns its answer; null when the connector does not serve the
    /// stream (the caller uses the unary call). Failures are the <see cref="ExchangeException"/> the unary call would
    /// raise: a lost answer (the stream broke, no answer within <see cref="RemoteExchangeOptions.CallTimeout"/>) is
    /// UNAVAILABLE or an unknown outcome, never a refusal.
    /// </summary>
    private async Task<W.OrderEntryResponse?> EnterAsync(W.OrderEntryRequest request, string what, CancellationToken cancellationToken)
    {
        request.CorrelationId = (ulong)Interlocked.Increment(ref _correlation);
        request.TimeoutMs = (long)_options.CallTimeout.TotalMilliseconds;
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } traced)
        {
            // A unary call's trace context travels in its headers; a request on the stream carries its own.
            request.Traceparent = traced.Id ?? "";
            request.Tracestate = traced.TraceStateString ?? "";
        }

        var stream = OpenOrderEntry();
        try
        {
            return await stream.SendAsync(request, _options.CallTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented && ex.Trailers.GetValue(GrpcErrors.KindTrailer) is null)
        {
            if (!_orderEntryUnsupported)
            {
                _orderEntryUnsupported = true;
                Log.OrderEntryUnsupported(_logger, _where, ex.Status.Detail);
            }

            return null;
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested || ex.StatusCode != StatusCode.Cancelled)
        {
            throw ex.ToExchangeException(what);
        }
    }

    private OrderEntryStream OpenOrderEntry()
    {
        var current = Volatile.Read(ref _orderEntry);
        if (current is { Broken: false })
        {
            return current;
        }

        OrderEntryStream? broken = null;
        lock (_orderEntryLock)
        {
            if (_orderEntry is { Broken: false } opened)
            {
                return opened;
            }

            ObjectDisposedException.ThrowIf(_closed, this);

            if (_orderEntry is { } old)
            {
                broken = old;
                Log.OrderEntryReopened(_logger, _where, old.EndStatus.StatusCode, old.EndStatus.Detail);
            }

            // The stream outlives the order that opens it: its HTTP request must not join that order's trace.
            var opening = Activity.Current;
            Activity.Current = null;
            try
            {
                current = new OrderEntryStream(_client.OrderEntry(new CallOptions(cancellationToken: _closing.Token)));
            }
            finally
            {
                Activity.Current = opening;
            }

            Volatile.Write(ref _orderEntry, current);
        }

        if (broken is not null)
        {
            _ = broken.DisposeAsync().AsTask();
        }

        return current;
    }

    /// <summary>Closes the order entry stream (requests still waiting fail as CANCELLED).</summary>
    public async ValueTask DisposeAsync()
    {
        OrderEntryStream? stream;
        lock (_orderEntryLock)
        {
            // Registered as itself and as IExchange, it is disposed twice by the container.
            if (_closed)
            {
                return;
            }

            stream = _orderEntry;
            _orderEntry = null;
            _closed = true;
        }

        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        _closing.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(5, LogLevel.Warning, "The ExchangeConnector at {Address} does not serve the OrderEntry stream ({Detail}); places and cancels use unary calls")]
        public static partial void OrderEntryUnsupported(ILogger logger, string address, string detail);

        [LoggerMessage(6, LogLevel.Warning, "Order entry stream to {Address} ended ({Code}: {Detail}); opening a new one")]
        public static partial void OrderEntryReopened(ILogger logger, string address, StatusCode code, string detail);
    }
}
