using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;

namespace OpenSqt.LiveServer.Options;

/// <summary>What the page shows. Section <c>LiveServer</c>.</summary>
public sealed class LiveServerOptions
{
    public const string SectionName = "LiveServer";

    /// <summary>Symbols to watch; empty means every symbol the connector lists.</summary>
    public List<string> Symbols { get; set; } = [];

    /// <summary>Candle interval of the chart (1m, 5m, ...).</summary>
    [Required]
    public string Interval { get; set; } = "1m";

    /// <summary>Candles kept per symbol and sent to a browser at connect.</summary>
    [Range(10, 5000)]
    public int HistoryLimit { get; set; } = 500;

    /// <summary>Fills kept per symbol and sent to a browser at connect (markers).</summary>
    [Range(0, 10_000)]
    public int FillHistoryLimit { get; set; } = 500;

    /// <summary>How often the connector's health is checked to tell browsers when the server is cut off.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ConnectorHealthInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First wait before connecting again after the connector session failed; doubles up to <see cref="MaxReconnectBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan InitialReconnectBackoff { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxReconnectBackoff { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>Admission and flow control of browser WebSockets. Section <c>LiveServer:WebSockets</c>.</summary>
public sealed class WebSocketLimitsOptions
{
    public const string SectionName = "LiveServer:WebSockets";

    /// <summary>
    /// Origins (scheme://host[:port]) allowed to open the WebSocket besides the page's own origin. <c>*</c> allows any.
    /// A request without an Origin header (not a browser) is allowed.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Whether the page's own origin (the request's Host) is allowed without being listed.</summary>
    public bool AllowSameOrigin { get; set; } = true;

    /// <summary>New connections one IP address may open per <see cref="RateLimitPeriod"/> once its burst is spent.</summary>
    [Range(1, 100_000)]
    public int ConnectionsPerPeriod { get; set; } = 10;

    /// <summary>Connections one IP address may open at once before the rate applies.</summary>
    [Range(1, 100_000)]
    public int ConnectionBurst { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RateLimitPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Open WebSockets across all browsers; beyond it a new one gets 503.</summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 1000;

    /// <summary>Messages queued for one browser; a browser that falls this far behind is disconnected.</summary>
    [Range(16, 1_000_000)]
    public int ClientQueueCapacity { get; set; } = 4096;

    /// <summary>WebSocket ping interval.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>How the LiveServer reaches the trading engine. Section <c>LiveServer:Engine</c>.</summary>
public sealed class EngineOptions
{
    public const string SectionName = "LiveServer:Engine";

    /// <summary>The engine's gRPC address; the default lets service discovery pick the marketmaker's endpoint named grpc.</summary>
    [Required]
    public string Address { get; set; } = "http://_grpc.marketmaker";

    /// <summary>How often circuit breaker status and realised PnL are polled.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The credentials the LiveServer presents to the engine's gRPC endpoint (API key, client certificate). Section
/// <c>EngineClient</c>, so <c>EngineClient__ApiKey</c> carries the service key as the AppHost sets it.
/// </summary>
public sealed class EngineClientOptions : ServiceChannelOptions
{
    public const string SectionName = "EngineClient";
}

/// <summary>Cross-field rules of <see cref="LiveServerOptions"/>.</summary>
public sealed class LiveServerOptionsValidator : IValidateOptions<LiveServerOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveServerOptions options)
    {
        if (!KlineInterval.IsValid(options.Interval))
        {
            return ValidateOptionsResult.Fail(
                $"{LiveServerOptions.SectionName}:Interval '{options.Interval}' is not supported; use one of {string.Join(", ", KlineInterval.All)}");
        }

        var blank = options.Symbols.FindIndex(string.IsNullOrWhiteSpace);
        if (blank >= 0)
        {
            return ValidateOptionsResult.Fail($"{LiveServerOptions.SectionName}:Symbols:{blank} is empty");
        }

        return options.InitialReconnectBackoff > options.MaxReconnectBackoff
            ? ValidateOptionsResult.Fail($"{LiveServerOptions.SectionName}:InitialReconnectBackoff must not exceed MaxReconnectBackoff")
            : ValidateOptionsResult.Success;
    }
}

/// <summary>Cross-field rules of <see cref="WebSocketLimitsOptions"/>.</summary>
public sealed class WebSocketLimitsOptionsValidator : IValidateOptions<WebSocketLimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, WebSocketLimitsOptions options)
    {
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            var origin = options.AllowedOrigins[i];
            if (origin != "*" && (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/" || (uri.Scheme != "http" && uri.Scheme != "https")))
            {
                return ValidateOptionsResult.Fail(
                    $"{WebSocketLimitsOptions.SectionName}:AllowedOrigins:{i} '{origin}' must be * or an origin such as https://example.com:8443");
            }
        }

        return options.ConnectionsPerPeriod > options.ConnectionBurst
            ? ValidateOptionsResult.Fail($"{WebSocketLimitsOptions.SectionName}:ConnectionsPerPeriod ({options.ConnectionsPerPeriod}) must not exceed ConnectionBurst ({options.ConnectionBurst})")
            : ValidateOptionsResult.Success;
    }
}
