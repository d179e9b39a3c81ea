using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpenSqt.ExchangeConnector.Diagnostics;

/// <summary>
/// The connector's instruments. Prometheus names: <c>exchange_connector_requests_total</c>,
/// <c>exchange_connector_request_duration_seconds</c>, <c>exchange_connector_errors_total</c>,
/// <c>exchange_websocket_messages_total</c>, <c>exchange_connector_metadata_lookups_total</c>.
/// </summary>
public sealed class ConnectorMetrics
{
    public const string MeterName = "OpenSqt.ExchangeConnector";
    public const string ActivitySourceName = "OpenSqt.ExchangeConnector";
    public const string Requests = "exchange_connector_requests";
    public const string RequestDuration = "exchange_connector_request_duration";
    public const string Errors = "exchange_connector_errors";
    public const string StreamMessages = "exchange_websocket_messages";
    public const string MetadataLookups = "exchange_connector_metadata_lookups";
    public const string LeaseLapses = "exchange_connector_lease_lapses";
    public const string LeaseCancelledOrders = "exchange_connector_lease_cancelled_orders";
    public const string SwitchRefreshes = "exchange_connector_switch_refreshes";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _streamMessages;
    private readonly Counter<long> _metadataLookups;
    private readonly Counter<long> _leaseLapses;
    private readonly Counter<long> _leaseCancelledOrders;
    private readonly Counter<long> _switchRefreshes;

    public ConnectorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>(Requests, description: "gRPC requests served, by method and status code");
        _duration = meter.CreateHistogram<double>(RequestDuration, unit: "s", description: "Time to serve a unary gRPC request",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _errors = meter.CreateCounter<long>(Errors, description: "gRPC requests that failed, by method and status code");
        _streamMessages = meter.CreateCounter<long>(StreamMessages, description: "Messages received from the venue's streams, by stream");
        _metadataLookups = meter.CreateCounter<long>(MetadataLookups, description: "Exchange metadata lookups, by where they were answered from");
        _leaseLapses = meter.CreateCounter<long>(LeaseLapses, description: "Client leases that lapsed without a renewal");
        _leaseCancelledOrders = meter.CreateCounter<long>(LeaseCancelledOrders, description: "Orders cancelled because their client's lease lapsed");
        _switchRefreshes = meter.CreateCounter<long>(SwitchRefreshes, description: "Arms and refreshes of the venue's cancel-all-after countdown, by outcome");
    }

    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName);

    public const string UnaryTransport = "unary";

    public const string OrderEntryTransport = "order_entry";

    /// <summary>
    /// One request served. <paramref name="transport"/> says how it came: <c>unary</c> (its own call) or
    /// <c>order_entry</c> (a request on the OrderEntry stream, counted under the method it stands for).
    /// </summary>
    public void Request(string method, string code, TimeSpan? duration, string transport = UnaryTransport)
    {
        var tags = new TagList { { "method", method }, { "code", code }, { "transport", transport } };
        _requests.Add(1, tags);
        if (duration is { } d)
        {
            _duration.Record(d.TotalSeconds, tags);
        }
    }

    public void Error(string method, string code) => _errors.Add(1, new TagList { { "method", method }, { "code", code } });

    public void StreamMessage(string stream) => _streamMessages.Add(1, new KeyValuePair<string, object?>("stream", stream));

    public void LeaseLapsed() => _leaseLapses.Add(1);

    public void LeaseOrdersCancelled(int count)
    {
        if (count > 0)
        {
            _leaseCancelledOrders.Add(count);
        }
    }

    public void SwitchRefresh(string outcome) => _switchRefreshes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void MetadataLookup(string source) => _metadataLookups.Add(1, new KeyValuePair<string, object?>("source", source));
}
