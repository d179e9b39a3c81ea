using System.Collections.Concurrent;
using Grpc.Core;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Remote;

/// <summary>
/// One open <c>OrderEntry</c> call to the connector: requests are written as they come (one writer at a time, as gRPC
/// requires), and a reader matches each answer to its waiting request by correlation id. When the call ends or breaks,
/// every request still waiting fails with the call's status (a place whose answer is lost has an unknown outcome, which
/// its caller resolves by client id), and the stream is <see cref="Broken"/>: the owner opens a new one for the next
/// request. Nothing is ever re-sent here.
/// </summary>
internal sealed class OrderEntryStream : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<W.OrderEntryRequest, W.OrderEntryResponse> _call;
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<W.OrderEntryResponse>> _waiting = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Task _reading;
    private readonly Lock _ending = new();
    private volatile bool _broken;
    private Status _endStatus;

    public OrderEntryStream(AsyncDuplexStreamingCall<W.OrderEntryRequest, W.OrderEntryResponse> call)
    {
        _call = call;
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>The call ended or broke; the status it ended with is <see cref="EndStatus"/>.</summary>
    public bool Broken => _broken;

    public Status EndStatus
    {
        get
        {
            lock (_ending)
            {
                return _endStatus;
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> and waits for its answer, at most <paramref name="timeout"/>. Throws the
    /// <see cref="RpcException"/> the unary call would have thrown: the request's own error from the connector, the
    /// call's status when the stream ended before the answer came, DEADLINE_EXCEEDED when no answer came in time.
    /// </summary>
    public async Task<W.OrderEntryResponse> SendAsync(W.OrderEntryRequest request, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        // Continuations run on the reader as it takes the answer: handing each answer to another thread first would add
        // a thread wake-up to every order's round trip. The waiting callers only pass the answer on.
        var answer = new TaskCompletionSource<W.OrderEntryResponse>();
        _waiting[request.CorrelationId] = answer;
        try
        {
            if (_broken)
            {
                throw new RpcException(EndStatus);
            }

            await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // No cancellation token on the write: cancelling a write cancels the whole call, and with it every
                // other request waiting on this stream. A caller that gives up stops waiting for the answer instead.
                await _call.RequestStream.WriteAsync(request, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The request may or may not have left: the stream is done either way.
                End(ex is RpcException rpc ? Broke(rpc.Status) : new Status(StatusCode.Unavailable, $"the order entry stream broke while sending: {ex.Message}"));
                throw new RpcException(EndStatus);
            }
            finally
            {
                _writing.Release();
            }

            var response = await answer.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            if (response.ResultCase == W.OrderEntryResponse.ResultOneofCase.Error)
            {
                throw response.Error.ToRpcException();
            }

            return response;
        }
        catch (TimeoutException)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer on the order entry stream within {timeout.TotalMilliseconds:F0} ms"));
        }
        finally
        {
            _waiting.TryRemove(request.CorrelationId, out _);
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                var response = _call.ResponseStream.Current;
                // An answer nobody waits for any more came after its request gave up (timeout, cancel): that caller
                // already treats the outcome as unknown and resolves it by client id.
                if (_waiting.TryRemove(response.CorrelationId, out var waiting))
                {
                    waiting.TrySetResult(response);
                }
            }

            End(new Status(StatusCode.Unavailable, "the connector ended the order entry stream"));
        }
        catch (RpcException ex)
        {
            End(Broke(ex.Status));
        }
        catch (Exception ex)
        {
            End(new Status(StatusCode.Unavailable, $"the order entry stream broke: {ex.Message}"));
        }
    }

    /// <summary>
    /// The status a request waiting on the stream fails with: one the client made from a transport failure (it carries
    /// the exception, <see cref="Status.DebugException"/>) says the stream broke; its code and exception stay, and
    /// <see cref="GrpcErrors.ToExchangeException"/> reads it as unavailable, as it does for every call the connector reset.
    /// </summary>
    private static Status Broke(Status status) =>
        status.DebugException is { } transport ? new Status(status.StatusCode, $"the order entry stream broke: {status.Detail}", transport) : status;

    private void End(Status status)
    {
        Status ended;
        lock (_ending)
        {
            if (!_broken)
            {
                _endStatus = status;
                _broken = true;
            }

            ended = _endStatus;
        }

        foreach (var id in _waiting.Keys)
        {
            if (_waiting.TryRemove(id, out var waiting))
            {
                waiting.TrySetException(new RpcException(ended));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        End(new Status(StatusCode.Cancelled, "the client closed the order entry stream"));
        try
        {
            await _writing.WaitAsync().ConfigureAwait(false);
            await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or ObjectDisposedException)
        {
            // The call is already over.
        }

        _call.Dispose();
        await _reading.ConfigureAwait(false);
        _writing.Dispose();
    }
}
