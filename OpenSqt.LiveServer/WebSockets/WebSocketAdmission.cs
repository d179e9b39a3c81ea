using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using OpenSqt.LiveServer.Diagnostics;
using OpenSqt.LiveServer.Options;

namespace OpenSqt.LiveServer.WebSockets;

/// <summary>
/// Decides whether a WebSocket may open: the Origin must be allowed (else 403), the remote IP must be within its
/// connection rate (token bucket, else 429) and the server below its connection cap (else 503).
/// </summary>
public sealed class WebSocketAdmission : IDisposable
{
    private readonly WebSocketLimitsOptions _options;
    private readonly LiveServerMetrics _metrics;
    private readonly PartitionedRateLimiter<string> _rate;
    private readonly HashSet<string> _allowedOrigins;
    private readonly bool _anyOrigin;
    private int _active;

    public WebSocketAdmission(IOptions<WebSocketLimitsOptions> options, LiveServerMetrics metrics)
    {
        _options = options.Value;
        _metrics = metrics;
        _anyOrigin = _options.AllowedOrigins.Contains("*");
        _allowedOrigins = new HashSet<string>(
            _options.AllowedOrigins.Where(o => o != "*").Select(o => new Uri(o).GetLeftPart(UriPartial.Authority)),
            StringComparer.OrdinalIgnoreCase);
        _rate = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetTokenBucketLimiter(ip, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.ConnectionBurst,
            TokensPerPeriod = _options.ConnectionsPerPeriod,
            ReplenishmentPeriod = _options.RateLimitPeriod,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Open WebSockets now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>
    /// Checks the request; on success a connection slot is held until <see cref="Release"/>. Returns the HTTP status to
    /// answer with and why when refused.
    /// </summary>
    public (bool Admitted, int StatusCode, string Reason) TryAdmit(HttpContext context, string remoteIp)
    {
        if (!IsOriginAllowed(context))
        {
            _metrics.Rejected(LiveServerMetrics.ReasonOrigin);
            return (false, StatusCodes.Status403Forbidden, $"origin '{context.Request.Headers.Origin}' is not allowed");
        }

        using (var lease = _rate.AttemptAcquire(remoteIp))
        {
            if (!lease.IsAcquired)
            {
                _metrics.Rejected(LiveServerMetrics.ReasonRateLimit);
                return (false, StatusCodes.Status429TooManyRequests,
                    $"more than {_options.ConnectionsPerPeriod} connections per {_options.RateLimitPeriod} (burst {_options.ConnectionBurst}) from {remoteIp}");
            }
        }

        if (Interlocked.Increment(ref _active) > _options.MaxConnections)
        {
            Interlocked.Decrement(ref _active);
            _metrics.Rejected(LiveServerMetrics.ReasonCapacity);
            return (false, StatusCodes.Status503ServiceUnavailable, $"the server holds its maximum of {_options.MaxConnections} connections");
        }

        return (true, StatusCodes.Status101SwitchingProtocols, "");
    }

    public void Release() => Interlocked.Decrement(ref _active);

    private bool IsOriginAllowed(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (string.IsNullOrEmpty(origin) || _anyOrigin)
        {
            // Browsers always send Origin on a WebSocket handshake; a client without one is not a browser page.
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        var normalized = uri.GetLeftPart(UriPartial.Authority);
        if (_allowedOrigins.Contains(normalized))
        {
            return true;
        }

        return _options.AllowSameOrigin
            && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.Scheme, context.Request.Scheme, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose() => _rate.Dispose();
}
