using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Values in Gate's answers that this connector does not know (a new <c>tif</c>, <c>status</c> or <c>finish_as</c>),
/// and items skipped because they are about a contract the connector does not list: each is logged and counted
/// (metric <c>exchange_venue_errors_total{operation="unknownValue"|"unlistedContract"}</c>), and the rest of the answer
/// stands.
/// </summary>
public sealed class GateUnknownValues
{
    private readonly ILogger _logger;
    private readonly VenueMetrics _metrics;
    private int _values;
    private int _skipped;

    public GateUnknownValues(ILogger logger, VenueMetrics metrics)
    {
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Unknown enum values seen since start.</summary>
    public int Values => Volatile.Read(ref _values);

    /// <summary>Items skipped because their contract is not listed.</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    internal void Value(string where, string value)
    {
        Interlocked.Increment(ref _values);
        _metrics.RecordError(GateParsers.Venue, "unknownValue", ExchangeErrorKind.Internal);
        GateLog.UnknownValue(_logger, where, value);
    }

    internal void UnlistedContract(string where, string contract)
    {
        Interlocked.Increment(ref _skipped);
        _metrics.RecordError(GateParsers.Venue, "unlistedContract", ExchangeErrorKind.NotFound);
        GateLog.UnknownContract(_logger, where, contract);
    }
}
