namespace OpenSqt.Backtest.Data;

/// <summary>
/// Streams one Binance futures <c>bookTicker</c> file (.csv or .zip, with or without the header line). Every row is
/// checked: seven columns, positive prices, non-negative sizes, the bid below the ask and transaction_time never going
/// back. A row that fails names the file and line; nothing is skipped.
/// </summary>
public sealed class BookTickerFile : HistoryFile<BookTick>
{
    /// <summary>
    /// The header line of the files under https://data.binance.vision/?prefix=data/futures/um/daily/bookTicker/
    /// (the fields of the &lt;symbol&gt;@bookTicker stream: u, b, B, a, A, T, E).
    /// </summary>
    public const string Header = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time";

    private long _lastTime = long.MinValue;

    private BookTickerFile(CsvLineSource source)
        : base(source, Header, "quote", "bookTicker")
    {
    }

    /// <summary>Opens the file and reads its first quote; a file without one is refused.</summary>
    public static BookTickerFile Open(string path)
    {
        var file = new BookTickerFile(CsvLineSource.Open(path));
        file.ReadFirst();
        return file;
    }

    private protected override BookTick Parse(ReadOnlySpan<byte> line)
    {
        var fields = new CsvFields(line, Source);
        var id = fields.Long("update_id");
        var bid = fields.Decimal("best_bid_price", positive: true);
        var bidQty = fields.Decimal("best_bid_qty", positive: false);
        var ask = fields.Decimal("best_ask_price", positive: true);
        var askQty = fields.Decimal("best_ask_qty", positive: false);
        var time = fields.Long("transaction_time");
        fields.Long("event_time");
        End(ref fields, 7);
        if (bid >= ask)
        {
            throw fields.Fail($"best_bid_price {bid} is not below best_ask_price {ask}");
        }

        if (time <= 0)
        {
            throw fields.Fail($"transaction_time {time} is not a Unix time in milliseconds");
        }

        if (time < _lastTime)
        {
            throw fields.Fail($"transaction_time {time} is before the previous row's {_lastTime}: the rows are out of order");
        }

        _lastTime = time;
        return new BookTick(id, bid, bidQty, ask, askQty, time);
    }
}
