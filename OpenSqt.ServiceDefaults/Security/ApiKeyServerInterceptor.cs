using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OpenSqt.ServiceDefaults.Security;

/// <summary>
/// Requires a credential on every gRPC call except health: a known API key in <c>x-api-key</c>, compared in constant
/// time, or a client certificate that passed mutual-TLS validation. Each caller has its own token bucket. The key itself
/// is never logged: callers are named by the position of their key in the configuration.
/// </summary>
public sealed partial class ApiKeyServerInterceptor : Interceptor, IDisposable
{
    public const string ApiKeyHeader = "x-api-key";
    private const string HealthServicePrefix = "/grpc.health.v1.Health/";

    private readonly ServiceAuthenticationOptions _options;
    private readonly byte[][] _keyDigests;
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly ILogger<ApiKeyServerInterceptor> _logger;

    public ApiKeyServerInterceptor(IOptions<ServiceAuthenticationOptions> options, ILogger<ApiKeyServerInterceptor> logger)
    {
        _options = options.Value;
        _logger = logger;
        _keyDigests = _options.ApiKeys.Where(k => !string.IsNullOrEmpty(k)).Select(Digest).ToArray();
        _limiter = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.Burst,
            TokensPerPeriod = _options.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(requestStream, responseStream, context);
    }

    public void Dispose() => _limiter.Dispose();

    private void Admit(ServerCallContext context)
    {
        if (!_options.RequiresCredentials || context.Method.StartsWith(HealthServicePrefix, StringComparison.Ordinal))
        {
            return;
        }

        var caller = Identify(context);
        if (caller is null)
        {
            var presented = context.RequestHeaders.GetValue(ApiKeyHeader) is { Length: > 0 };
            Log.Rejected(_logger, context.Method, context.Peer, presented ? "unknown API key" : "no API key and no client certificate");
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                presented ? "the API key is not valid" : $"a credential is required: send the {ApiKeyHeader} metadata or a client certificate"));
        }

        using var lease = _limiter.AttemptAcquire(caller);
        if (!lease.IsAcquired)
        {
            Log.RateLimited(_logger, context.Method, caller);
            throw new RpcException(new Status(StatusCode.ResourceExhausted,
                $"rate limit of {_options.RequestsPerSecond} requests per second (burst {_options.Burst}) exceeded for {caller}"));
        }
    }

    /// <summary>The caller's name for rate limiting and logs, or null when it presented no valid credential.</summary>
    private string? Identify(ServerCallContext context)
    {
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        if (certificate is not null && !string.IsNullOrWhiteSpace(_options.ClientCaPath))
        {
            // Kestrel has already validated the chain against the configured CA (see ServiceSecurityExtensions).
            return "certificate " + certificate.Thumbprint;
        }

        var key = context.RequestHeaders.GetValue(ApiKeyHeader);
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        var digest = Digest(key);
        var match = -1;
        for (var i = 0; i < _keyDigests.Length; i++)
        {
            // Every key is compared, in constant time, whatever matched before.
            if (CryptographicOperations.FixedTimeEquals(digest, _keyDigests[i]))
            {
                match = i;
            }
        }

        return match >= 0 ? $"API key #{match + 1}" : null;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Rejected gRPC call {Method} from {Peer}: {Reason}")]
        public static partial void Rejected(ILogger logger, string method, string peer, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Rate limited gRPC call {Method} from {Caller}")]
        public static partial void RateLimited(ILogger logger, string method, string caller);
    }
}
