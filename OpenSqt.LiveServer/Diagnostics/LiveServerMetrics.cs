using System.Diagnostics.Metrics;

namespace OpenSqt.LiveServer.Diagnostics;

/// <summary>
/// The LiveServer's instruments. Prometheus names: <c>liveserver_websocket_connections_active</c>,
/// <c>liveserver_websocket_connections_rejected_total</c> (tag reason: origin, rate_limit, capacity),
/// <c>liveserver_websocket_clients_evicted_total</c>, <c>liveserver_websocket_messages_sent_total</c>,
/// <c>liveserver_upstream_events_total</c> (tag source).
/// </summary>
public sealed class LiveServerMetrics
{
    public const string MeterName = "OpenSqt.LiveServer";
    public const string ActiveConnections = "liveserver_websocket_connections_active";
    public const string RejectedConnections = "liveserver_websocket_connections_rejected";
    public const string EvictedClients = "liveserver_websocket_clients_evicted";
    public const string MessagesSent = "liveserver_websocket_messages_sent";
    public const string UpstreamEvents = "liveserver_upstream_events";

    public const string ReasonOrigin = "origin";
    public const string ReasonRateLimit = "rate_limit";
    public const string ReasonCapacity = "capacity";

    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _evicted;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _upstream;

    public LiveServerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _active = meter.CreateUpDownCounter<long>(ActiveConnections, description: "Browser WebSockets open now");
        _rejected = meter.CreateCounter<long>(RejectedConnections, description: "WebSocket connections refused, by reason");
        _evicted = meter.CreateCounter<long>(EvictedClients, description: "Browsers disconnected because they could not keep up");
        _sent = meter.CreateCounter<long>(MessagesSent, description: "WebSocket messages sent to browsers");
        _upstream = meter.CreateCounter<long>(UpstreamEvents, description: "Events received from the connector and the engine, by source");
    }

    public void Connected() => _active.Add(1);

    public void Disconnected() => _active.Add(-1);

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Evicted() => _evicted.Add(1);

    public void Sent() => _sent.Add(1);

    public void Upstream(string source) => _upstream.Add(1, new KeyValuePair<string, object?>("source", source));
}
