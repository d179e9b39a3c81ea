using System.Text.Json;
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
internal sealed class GateUnknownValues
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

    /// <summary>An order of a single-order answer, its unknown values logged and counted.</summary>
    internal Order ParseOrder(JsonElement e, decimal multiplier, string where)
    {
        var order = GateParsers.ParseOrder(e, multiplier, out var unknown);
        if (unknown is not null)
        {
            Value(where, unknown);
        }

        return order;
    }

    /// <summary>
    /// The one order of a single read: as <see cref="ParseOrder"/>, but a <c>status</c> Gate adds later (neither
    /// <c>open</c> nor <c>finished</c>, and no <c>finish_as</c> to tell the outcome) is answered as
    /// <see cref="OrderStatus.Unknown"/>, not guessed open.
    /// </summary>
    internal Order ParseOneOrder(JsonElement e, decimal multiplier, string where)
    {
        var order = ParseOrder(e, multiplier, where);
        return e.GetStringOrNull("status") is "open" or "finished" || !string.IsNullOrEmpty(e.GetStringOrNull("finish_as"))
            ? order
            : order with { Status = OrderStatus.Unknown };
    }

    /// <summary>
    /// An order of a list or of a <c>futures.orders</c> push, or null (logged and counted) when its <c>status</c> is
    /// one Gate documents neither as <c>open</c> nor as <c>finished</c> (gateapi-python docs/FuturesOrder.md) and no
    /// final <c>finish_as</c> tells the outcome: such an order is skipped rather than guessed open (the WebSocket's
    /// <c>_new</c>/<c>_update</c> describe an event, not whether the order still works).
    /// </summary>
    internal Order? ParseListedOrder(JsonElement e, decimal multiplier, string where)
    {
        var status = e.GetStringOrNull("status");
        if (status is not ("open" or "finished") && e.GetStringOrNull("finish_as") is null or "" or "_new" or "_update")
        {
            Value(where, $"status={status}");
            GateLog.UnknownStatusSkipped(_logger, where, e.TryGetProperty("id", out var id) ? id.ToString() : "?", status ?? "(none)");
            return null;
        }

        return ParseOrder(e, multiplier, where);
    }

    /// <summary>Adds the orders of an order-list page to <paramref name="into"/>, orders on unlisted contracts skipped; answers how many items the page held.</summary>
    internal int ReadOrders(JsonElement page, GateContractCache cache, string where, List<Order> into)
    {
        var count = 0;
        foreach (var e in page.EnumerateArray())
        {
            count++;
            var name = e.GetRequiredString("contract");
            if (!cache.TryByName(name, out var of))
            {
                UnlistedContract(where, name);
                continue;
            }

            if (ParseListedOrder(e, of.Multiplier, where) is { } order)
            {
                into.Add(order);
            }
        }

        return count;
    }

    /// <summary>The non-empty positions of a positions answer; unlisted contracts skipped, each item shown to <paramref name="observe"/> (mark prices).</summary>
    internal List<Position> ReadPositions(IEnumerable<JsonElement> items, GateContractCache cache, Action<JsonElement> observe, DateTimeOffset now)
    {
        var positions = new List<Position>();
        foreach (var e in items)
        {
            var name = e.GetRequiredString("contract");
            if (!cache.TryByName(name, out var contract))
            {
                UnlistedContract("positions", name);
                continue;
            }

            observe(e);
            var position = GateParsers.ParsePosition(e, contract.Multiplier, now);
            if (position.Size != 0)
            {
                positions.Add(position);
            }
        }

        return positions;
    }
}
