using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Items of a venue answer or push that are left out, logged and counted instead of failing the call: one with a
/// value the connector does not know (a new status, order type or time in force), one on an instrument that is not
/// a listed linear perpetual, or a malformed public push (a tape trade or book top that does not parse). Counted in <see cref="Count"/> and as an <see cref="ExchangeErrorKind.Internal"/> error of
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

    internal void Malformed(string item, string operation, string reason)
    {
        Interlocked.Increment(ref _count);
        metrics.RecordError(BybitParsers.Venue, operation, ExchangeErrorKind.Internal);
        BybitLog.MalformedSkipped(logger, item, operation, reason);
    }

    /// <summary>One public push item parsed, or null (logged and counted) when it is malformed; the stream goes on.</summary>
    internal T? ParseOrSkip<T>(string item, string operation, Func<T?> parse)
        where T : class
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (VenueJson.IsMalformed(ex))
        {
            Malformed(item, operation, ex.Message);
            return null;
        }
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
