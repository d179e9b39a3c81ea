using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>Metrics of the native venue connections, built from <see cref="IMeterFactory"/>.</summary>
internal sealed class VenueMetrics : IDisposable
{
    public const string MeterName = "OpenSqt.Exchanges";
    public const string RequestsTotal = "exchange_venue_requests_total";
    public const string RequestDuration = "exchange_venue_request_duration_seconds";
    public const string ErrorsTotal = "exchange_venue_errors_total";
    public const string WebSocketMessagesTotal = "exchange_websocket_messages_total";
    public const string WebSocketReconnectsTotal = "exchange_websocket_reconnects_total";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _reconnects;

    public VenueMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>(RequestsTotal, description: "REST calls sent to the venue");
        _duration = _meter.CreateHistogram<double>(RequestDuration, unit: "s", description: "REST call duration");
        _errors = _meter.CreateCounter<long>(ErrorsTotal, description: "Venue calls that failed, by kind");
        _messages = _meter.CreateCounter<long>(WebSocketMessagesTotal, description: "WebSocket messages received from the venue");
        _reconnects = _meter.CreateCounter<long>(WebSocketReconnectsTotal, description: "WebSocket reconnects");
    }

    public void RecordRequest(string venue, string operation, TimeSpan duration)
    {
        var tags = new TagList { { "venue", venue }, { "operation", operation } };
        _requests.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
    }

    public void RecordError(string venue, string operation, ExchangeErrorKind kind) =>
        _errors.Add(1, new TagList { { "venue", venue }, { "operation", operation }, { "kind", kind.ToString() } });

    public void RecordMessage(string venue, string stream) =>
        _messages.Add(1, new TagList { { "venue", venue }, { "stream", stream } });

    public void RecordReconnect(string venue, string stream) =>
        _reconnects.Add(1, new TagList { { "venue", venue }, { "stream", stream } });

    public void Dispose() => _meter.Dispose();
}
