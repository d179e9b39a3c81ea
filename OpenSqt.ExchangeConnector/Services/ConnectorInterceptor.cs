using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;

namespace OpenSqt.ExchangeConnector.Services;

/// <summary>
/// The one place where failures become gRPC status: <see cref="ExchangeException"/> by its kind, a bug as INTERNAL
/// without its details (they go to the log). Also counts requests, errors and unary latency.
/// </summary>
public sealed class ConnectorInterceptor(ConnectorMetrics metrics, IExchange exchange, ILogger<ConnectorInterceptor> logger) : Interceptor
{
    private readonly string _venue = exchange.Name;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var method = MethodName(context.Method);
        var started = Stopwatch.GetTimestamp();
        using var activity = ConnectorMetrics.ActivitySource.StartActivity("venue " + method);
        activity?.SetTag("opensqt.venue", _venue);
        try
        {
            var response = await continuation(request, context).ConfigureAwait(false);
            metrics.Request(method, nameof(StatusCode.OK), Stopwatch.GetElapsedTime(started));
            return response;
        }
        catch (Exception ex)
        {
            throw Failed(metrics, activity, method, Translate(logger, method, ex), Stopwatch.GetElapsedTime(started), ConnectorMetrics.UnaryTransport);
        }
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        StreamAsync(context, () => continuation(request, responseStream, context));

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        StreamAsync(context, () => continuation(requestStream, responseStream, context));

    /// <summary>A stream's call: counted when it ends, its failure translated.</summary>
    private async Task StreamAsync(ServerCallContext context, Func<Task> call)
    {
        var method = MethodName(context.Method);
        try
        {
            await call().ConfigureAwait(false);
            metrics.Request(method, nameof(StatusCode.OK), null);
        }
        catch (Exception ex)
        {
            throw Failed(metrics, null, method, Translate(logger, method, ex), null, ConnectorMetrics.UnaryTransport);
        }
    }

    /// <summary>
    /// Records a failed request (its span's status, the request and error counters) and returns its status: for the
    /// calls here and for each request of the order entry stream.
    /// </summary>
    internal static RpcException Failed(ConnectorMetrics metrics, Activity? activity, string method, RpcException rpc, TimeSpan? duration, string transport)
    {
        activity?.SetStatus(ActivityStatusCode.Error, rpc.Status.Detail);
        activity?.SetTag("rpc.grpc.status_code", (int)rpc.StatusCode);
        metrics.Request(method, rpc.StatusCode.ToString(), duration, transport);
        metrics.Error(method, rpc.StatusCode.ToString());
        return rpc;
    }

    /// <summary>
    /// The status a failure is answered with, logged: also used for each request of the order entry stream, whose
    /// failures are answers on the stream, not the end of the call.
    /// </summary>
    internal static RpcException Translate(ILogger logger, string method, Exception ex)
    {
        var rpc = ex switch
        {
            RpcException r => r,
            ExchangeException e => e.ToRpcException(),
            OperationCanceledException => new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled")),
            _ => null,
        };
        if (rpc is null)
        {
            ConnectorLog.RequestCrashed(logger, method, ex);
            return new RpcException(new Status(StatusCode.Internal, $"internal error in {method} ({ex.GetType().Name}); see the connector log, trace {Activity.Current?.TraceId.ToString() ?? "none"}"));
        }

        ConnectorLog.RequestFailed(logger, method, rpc.StatusCode, rpc.Status.Detail);
        return rpc;
    }

    private static string MethodName(string fullMethod)
    {
        var slash = fullMethod.LastIndexOf('/');
        return slash >= 0 ? fullMethod[(slash + 1)..] : fullMethod;
    }
}
