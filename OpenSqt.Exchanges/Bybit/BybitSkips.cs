using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Items of a venue answer or push that are left out, logged and counted instead of failing the call: one with a
/// value the connector does not know (a new status, order type or time in force), or one on an instrument that is not
/// a listed linear perpetual. Counted in <see cref="Count"/> and as an <see cref="ExchangeErrorKind.Internal"/> error of
/// the operation in the venue metrics.
/// </summary>
internal sealed class BybitSkips(ILogger logger, VenueMetrics metrics)
{
    private long _count;

    /// <summary>Items skipped since start.</summary>
    public long Count => Interlocked.Read(ref _count);

    internal void Unknown(string item, string operation, BybitUnknownValueException reason)
    {
        Interlocked.Increment(ref _count);
        metrics.RecordError(BybitParsers.Venue, operation, ExchangeErrorKind.Internal);
        BybitLog.UnknownValueSkipped(logger, item, operation, reason.Message);
    }

    internal void Unlisted(string item, string symbol, string operation)
    {
        Interlocked.Increment(ref _count);
        metrics.RecordError(BybitParsers.Venue, operation, ExchangeErrorKind.Internal);
        BybitLog.UnlistedSkipped(logger, item, symbol, operation);
    }

    /// <summary>One order of a list, or null (logged and counted) when it carries an unknown value or is on an unlisted instrument.</summary>
    internal Order? ParseListed(System.Text.Json.JsonElement item, string what, string operation, Func<string, bool> isListed)
    {
        Order order;
        try
        {
            order = BybitParsers.ParseOrder(item);
        }
        catch (BybitUnknownValueException ex)
        {
            Unknown(what, operation, ex);
            return null;
        }

        if (!isListed(order.Symbol))
        {
            Unlisted(what, order.Symbol, operation);
            return null;
        }

        return order;
    }
}
