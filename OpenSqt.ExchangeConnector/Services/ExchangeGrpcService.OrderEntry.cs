using System.Diagnostics;
using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;
using W = OpenSqt.Contracts.Wire;
using static OpenSqt.ExchangeConnector.Services.RequestValidation;

namespace OpenSqt.ExchangeConnector.Services;

public sealed partial class ExchangeGrpcService
{
    /// <summary>
    /// Places and cancels over one long-lived stream (an OpenSqt addition to the v1 contract). Each request is served
    /// as the unary <see cref="PlaceOrder"/> / <see cref="CancelOrder"/> would serve it (the same checks, the same
    /// status for the same failure, counted under the same method name), starting on the reader as it arrives and
    /// running concurrently with the requests after it; its answer, or its error, goes back with its correlation id. A
    /// failed request is an answer, not the end of the stream. When the client ends its side, the requests still
    /// running are answered before the call ends.
    /// <para>
    /// When the connector stops, it reads no more requests: the requests running are answered and the call ends, as the
    /// hub ends the server streams. Kestrel's graceful shutdown waits for every request still open, and a stream that
    /// waited for the client's next order held the connector's stop for its whole shutdown timeout. A request the client
    /// sent that was not read yet gets no answer: the client fails it as unavailable (its outcome is resolved by client id,
    /// never sent again) and opens a new stream to the connector that comes back.
    /// </para>
    /// </summary>
    public override async Task OrderEntry(IAsyncStreamReader<W.OrderEntryRequest> requestStream, IServerStreamWriter<W.OrderEntryResponse> responseStream, ServerCallContext context)
    {
        var answers = new OrderEntryAnswers(responseStream);
        var serving = new List<Task>();
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            while (await requestStream.MoveNext(reading.Token).ConfigureAwait(false))
            {
                // Started here, not handed to another thread: a place to the venue runs until its first real wait (the
                // venue's HTTP answer) on this thread, which saves a thread wake-up on every order's way out.
                serving.Add(ServeAsync(requestStream.Current, answers, context.CancellationToken));
                if (serving.Count >= 64)
                {
                    serving.RemoveAll(t => t.IsCompleted);
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // The connector stops: the call ends once the requests running are answered (below).
        }
        finally
        {
            // Never throws: a request either answers or finds its caller gone.
            await Task.WhenAll(serving).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(W.OrderEntryRequest request, OrderEntryAnswers answers, CancellationToken streamToken)
    {
        var method = request.RequestCase == W.OrderEntryRequest.RequestOneofCase.Cancel ? nameof(CancelOrder) : nameof(PlaceOrder);
        var started = Stopwatch.GetTimestamp();
        // The request's own trace context, as a unary call's headers would give it: the venue call joins the caller's trace.
        using var activity = ActivityContext.TryParse(request.Traceparent, request.Tracestate, out var caller)
            ? ConnectorMetrics.ActivitySource.StartActivity("venue " + method, ActivityKind.Server, caller)
            : ConnectorMetrics.ActivitySource.StartActivity("venue " + method, ActivityKind.Server);
        activity?.SetTag("opensqt.venue", exchange.Name);
        CancellationTokenSource? deadline = null;
        var response = new W.OrderEntryResponse { CorrelationId = request.CorrelationId };
        try
        {
            if (request.CorrelationId == 0)
            {
                throw Invalid("correlation_id must not be zero: it matches the answer to its request");
            }

            if (request.TimeoutMs is < 0 or > MaxTimeoutMs)
            {
                throw Invalid($"timeout_ms {request.TimeoutMs} must be between 0 (no limit of its own) and {MaxTimeoutMs} (one hour)");
            }

            if (request.TimeoutMs > 0)
            {
                deadline = CancellationTokenSource.CreateLinkedTokenSource(streamToken);
                deadline.CancelAfter(TimeSpan.FromMilliseconds(request.TimeoutMs));
            }

            var token = deadline?.Token ?? streamToken;

            switch (request.RequestCase)
            {
                case W.OrderEntryRequest.RequestOneofCase.Place:
                    response.Placed = await PlaceAsync(request.Place, token).ConfigureAwait(false);
                    break;
                case W.OrderEntryRequest.RequestOneofCase.Cancel:
                    response.Cancelled = await CancelAsync(request.Cancel, token).ConfigureAwait(false);
                    break;
                default:
                    throw Invalid("request must hold place or cancel");
            }

            metrics.Request(method, nameof(StatusCode.OK), Stopwatch.GetElapsedTime(started), ConnectorMetrics.OrderEntryTransport);
        }
        catch (Exception) when (streamToken.IsCancellationRequested)
        {
            // The client is gone (or the connector is stopping): nobody is left to answer. Its places have an unknown
            // outcome, which the client resolves by client id, as after a unary call cut off.
            return;
        }
        catch (Exception ex)
        {
            var rpc = ex is OperationCanceledException && deadline is { IsCancellationRequested: true }
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, $"{method} took longer than the request's {request.TimeoutMs} ms; its outcome is unknown"))
                : ConnectorInterceptor.Translate(logger, method, ex);
            response.Error = ConnectorInterceptor.Failed(metrics, activity, method, rpc, Stopwatch.GetElapsedTime(started), ConnectorMetrics.OrderEntryTransport).ToOrderEntryError();
        }
        finally
        {
            deadline?.Dispose();
        }

        try
        {
            await answers.WriteAsync(response, streamToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (streamToken.IsCancellationRequested || ex is IOException or InvalidOperationException)
        {
            // The answer cannot go back: the client went away while it was served.
            ConnectorLog.RequestFailed(logger, method, StatusCode.Cancelled, $"answer to request {request.CorrelationId} not delivered: the order entry stream is closed");
        }
    }

    /// <summary>The longest <c>timeout_ms</c> a request may ask for: an hour, far beyond any venue's answer.</summary>
    private const long MaxTimeoutMs = 3_600_000;

    /// <summary>The stream's answers, written one at a time (a gRPC stream takes one write at a time).</summary>
    private sealed class OrderEntryAnswers(IServerStreamWriter<W.OrderEntryResponse> stream)
    {
        private readonly SemaphoreSlim _writing = new(1, 1);

        public async Task WriteAsync(W.OrderEntryResponse response, CancellationToken cancellationToken)
        {
            await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writing.Release();
            }
        }
    }
}
