using System.Text;

namespace OpenSqt.Backtest.Data;

/// <summary>
/// Streams one Binance futures <c>bookTicker</c> file (.csv or .zip, with or without the header line). Every row is
/// checked: seven columns, positive prices, non-negative sizes, the bid below the ask and transaction_time never going
/// back. A row that fails names the file and line; nothing is skipped.
/// </summary>
public sealed class BookTickerFile : IDisposable
{
    /// <summary>
    /// The header line of the files under https://data.binance.vision/?prefix=data/futures/um/daily/bookTicker/
    /// (the fields of the &lt;symbol&gt;@bookTicker stream: u, b, B, a, A, T, E).
    /// </summary>
    public const string Header = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time";

    /// <summary>
    /// The header of the same file as the ExchangeConnector records it (<c>Recording__Path</c>): the columns above and the
    /// local time the connector received the row, in microseconds since the Unix epoch. The replay reads the venue's time.
    /// </summary>
    public const string RecordedHeader = Header + ",receive_time_us";

    private readonly CsvLineSource _source;
    private bool _recorded;
    private bool _hasPending;
    private BookTick _pending;
    private long _lastTime = long.MinValue;
    private bool _any;

    private BookTickerFile(CsvLineSource source)
    {
        _source = source;
    }

    public string Path => _source.Path;

    /// <summary>The first quote of the file (read at open).</summary>
    public BookTick First { get; private set; }

    /// <summary>Opens the file and reads its first quote; a file without one is refused.</summary>
    public static BookTickerFile Open(string path)
    {
        var file = new BookTickerFile(CsvLineSource.Open(path));
        try
        {
            var any = file._source.TryReadLine(out var line);
            any = any && (file.IsHeader(line) ? file.ReadRow(out file._pending) : file.Parse(line, out file._pending));
            if (!any)
            {
                throw new DataFormatException($"{path}: the file holds no quotes");
            }

            file._hasPending = true;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool TryRead(out BookTick tick)
    {
        if (_hasPending)
        {
            _hasPending = false;
            tick = _pending;
            return true;
        }

        return ReadRow(out tick);
    }

    public void Dispose() => _source.Dispose();

    private bool ReadRow(out BookTick tick)
    {
        if (!_source.TryReadLine(out var line))
        {
            tick = default;
            return false;
        }

        return Parse(line, out tick);
    }

    private bool IsHeader(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty || char.IsAsciiDigit((char)line[0]))
        {
            return false;
        }

        if (_source.LineNumber == 1 && Ascii.EqualsIgnoreCase(line, Encoding.ASCII.GetBytes(RecordedHeader)))
        {
            _recorded = true;
            return true;
        }

        if (_source.LineNumber != 1 || !Ascii.EqualsIgnoreCase(line, Encoding.ASCII.GetBytes(Header)))
        {
            throw new DataFormatException(_source.Path, _source.LineNumber,
                $"'{Encoding.UTF8.GetString(line[..Math.Min(line.Length, 120)])}' is neither a quote nor the bookTicker header '{Header}'");
        }

        return true;
    }

    private bool Parse(ReadOnlySpan<byte> line, out BookTick tick)
    {
        var fields = new CsvFields(line, _source);
        var id = fields.Long("update_id");
        var bid = fields.Decimal("best_bid_price", positive: true);
        var bidQty = fields.Decimal("best_bid_qty", positive: false);
        var ask = fields.Decimal("best_ask_price", positive: true);
        var askQty = fields.Decimal("best_ask_qty", positive: false);
        var time = fields.Long("transaction_time");
        fields.Long("event_time");
        if (_recorded)
        {
            fields.Long("receive_time_us");
        }

        fields.End(_recorded ? 8 : 7);
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

        tick = new BookTick(id, bid, bidQty, ask, askQty, time);
        if (!_any)
        {
            First = tick;
            _any = true;
        }

        _lastTime = time;
        return true;
    }
}
