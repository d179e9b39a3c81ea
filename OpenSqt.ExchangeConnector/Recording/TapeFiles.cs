using System.Globalization;
using System.IO.Compression;
using System.Text;
using OpenSqt.Contracts;

namespace OpenSqt.ExchangeConnector.Recording;

/// <summary>What a record is: each kind goes to its own file.</summary>
internal enum TapeKind
{
    Trade,
    Book,
    Mark,
    Order,
}

/// <summary>One thing received from the venue, with the local time it arrived (microseconds since the Unix epoch).</summary>
internal readonly record struct TapeRecord(TapeKind Kind, string Symbol, DateTimeOffset EventTime, long ReceivedUs, object Item);

/// <summary>
/// The recording's files: one gzip-compressed CSV per symbol, kind and UTC day of the venue's event time, under
/// <c>&lt;Path&gt;/&lt;venue&gt;/&lt;SYMBOL&gt;/</c>. Trades and book tops are written in the layout of Binance's public
/// futures history (data.binance.vision <c>aggTrades</c> and <c>bookTicker</c>, binance/binance-public-data README.md),
/// with the local receive time as one more column, so <c>OpenSqt.Backtest</c> replays a recording as it replays a download.
/// A file is never appended to: a day recorded in two runs of the connector gets a second file (<c>-2</c>, <c>-3</c>, ...),
/// and every file starts with its header line. Not thread-safe: one writer owns it.
/// </summary>
internal sealed class TapeFiles(string root, string venue, ILogger logger) : IDisposable
{
    public const string TradeHeader = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,receive_time_us";
    public const string BookHeader = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time,receive_time_us";
    public const string MarkHeader = "event_time,mark_price,funding_rate,next_funding_time,receive_time_us";
    public const string OrderHeader = "event_time,client_order_id,exchange_order_id,side,type,status,price,quantity,filled_quantity,average_price,last_fill_price,last_fill_quantity,fee,fee_asset,maker,receive_time_us";

    private readonly Dictionary<(string Symbol, TapeKind Kind), OpenFile> _files = [];
    private readonly StringBuilder _line = new(256);

    public long Written { get; private set; }

    /// <summary>The files written so far, in the order they were opened.</summary>
    public List<string> Paths { get; } = [];

    public static string KindName(TapeKind kind) => kind switch
    {
        TapeKind.Trade => "aggTrades",
        TapeKind.Book => "bookTicker",
        TapeKind.Mark => "markPrice",
        _ => "orders",
    };

    public void Write(in TapeRecord record)
    {
        var day = DateOnly.FromDateTime(record.EventTime.UtcDateTime);
        var key = (record.Symbol, record.Kind);
        if (!_files.TryGetValue(key, out var file) || file.Day != day)
        {
            file?.Dispose();
            file = Open(record.Symbol, record.Kind, day);
            _files[key] = file;
        }

        _line.Clear();
        Format(_line, record);
        file.Writer.Write(_line);
        file.Writer.Write('\n');
        Written++;
    }

    /// <summary>Pushes everything written so far through the compressor to the disk (a gzip sync flush).</summary>
    public void Flush()
    {
        foreach (var file in _files.Values)
        {
            file.Writer.Flush();
        }
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
        {
            file.Dispose();
        }

        _files.Clear();
    }

    private OpenFile Open(string symbol, TapeKind kind, DateOnly day)
    {
        var folder = Path.Combine(root, venue, symbol);
        Directory.CreateDirectory(folder);
        var stem = $"{symbol}-{KindName(kind)}-{day:yyyy-MM-dd}";
        var path = Path.Combine(folder, stem + ".csv.gz");
        for (var part = 2; File.Exists(path); part++)
        {
            path = Path.Combine(folder, $"{stem}-{part}.csv.gz");
        }

        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        var writer = new StreamWriter(new GZipStream(stream, CompressionLevel.Fastest), new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        writer.Write(kind switch
        {
            TapeKind.Trade => TradeHeader,
            TapeKind.Book => BookHeader,
            TapeKind.Mark => MarkHeader,
            _ => OrderHeader,
        });
        writer.Write('\n');
        Paths.Add(path);
        RecordingLog.FileOpened(logger, path);
        return new OpenFile(day, writer);
    }

    private static void Format(StringBuilder line, in TapeRecord record)
    {
        var c = CultureInfo.InvariantCulture;
        switch (record.Item)
        {
            case TapeTrade t:
                line.Append(c, $"{t.TradeId},{t.Price},{t.Quantity},{t.TradeId},{t.TradeId},{t.Timestamp.ToUnixTimeMilliseconds()},{(t.BuyerIsMaker ? "true" : "false")}");
                break;
            case BookTop b:
                var ms = b.Timestamp.ToUnixTimeMilliseconds();
                line.Append(c, $"{b.UpdateId},{b.BidPrice},{b.BidQuantity},{b.AskPrice},{b.AskQuantity},{ms},{ms}");
                break;
            case FundingRate f:
                line.Append(c, $"{f.Timestamp.ToUnixTimeMilliseconds()},{f.MarkPrice},{f.Rate},{f.NextFundingTime.ToUnixTimeMilliseconds()}");
                break;
            case OrderUpdate o:
                var fill = o.LastFill;
                line.Append(c, $"{o.UpdateTime.ToUnixTimeMilliseconds()},{Csv(o.ClientOrderId)},{Csv(o.ExchangeOrderId)},{o.Side},{o.Type},{o.Status},{o.Price},{o.Quantity},{o.FilledQuantity},{o.AveragePrice},");
                line.Append(c, $"{fill?.Price},{fill?.Quantity},{fill?.Fee},{Csv(fill?.FeeAsset)},{(fill is null ? "" : fill.IsMaker ? "true" : "false")}");
                break;
        }

        line.Append(',').Append(record.ReceivedUs);
    }

    /// <summary>Ids are the venue's and the engine's: never a comma or a quote in practice, but a field must not break the row.</summary>
    private static string Csv(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\n\r") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private sealed record OpenFile(DateOnly Day, StreamWriter Writer) : IDisposable
    {
        public void Dispose() => Writer.Dispose();
    }
}
