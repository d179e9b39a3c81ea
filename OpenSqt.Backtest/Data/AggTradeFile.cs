using System.Text;

namespace OpenSqt.Backtest.Data;

/// <summary>
/// Streams one Binance futures <c>aggTrades</c> file (.csv or .zip, with or without the header line). Every row is
/// checked: seven columns, positive price and quantity, first trade id not after the last, agg_trade_id rising and
/// transact_time never going back. A row that fails names the file and line; nothing is skipped.
/// </summary>
public sealed class AggTradeFile : IDisposable
{
    /// <summary>
    /// The header line of the files on data.binance.vision; the column order is the one of /fapi/v1/aggTrades
    /// (binance/binance-public-data README.md, FUTURES, AggTrades: "Aggregate tradeId, Price, Quantity, First tradeId,
    /// Last tradeId, Timestamp, Was the buyer the maker").
    /// </summary>
    public const string Header = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker";

    /// <summary>
    /// The header of the same file as the ExchangeConnector records it (<c>Recording__Path</c>): the columns above and the
    /// local time the connector received the row, in microseconds since the Unix epoch. The replay reads the venue's time.
    /// </summary>
    public const string RecordedHeader = Header + ",receive_time_us";

    private readonly CsvLineSource _source;
    private bool _recorded;
    private bool _hasPending;
    private TradeTick _pending;
    private long _lastId = long.MinValue;
    private long _lastTime = long.MinValue;

    private AggTradeFile(CsvLineSource source)
    {
        _source = source;
    }

    public string Path => _source.Path;

    /// <summary>Opens the file and reads its first trade; a file without one is refused.</summary>
    public static AggTradeFile Open(string path)
    {
        var file = new AggTradeFile(CsvLineSource.Open(path));
        try
        {
            var any = file._source.TryReadLine(out var line);
            any = any && (file.IsHeader(line) ? file.ReadRow(out file._pending) : file.TryParse(line, out file._pending));
            if (!any)
            {
                throw new DataFormatException($"{path}: the file holds no trades");
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

    /// <summary>The first trade of the file (read at open).</summary>
    public TradeTick First { get; private set; }

    public bool TryRead(out TradeTick trade)
    {
        if (_hasPending)
        {
            _hasPending = false;
            trade = _pending;
            return true;
        }

        return ReadRow(out trade);
    }

    public void Dispose() => _source.Dispose();

    private bool ReadRow(out TradeTick trade)
    {
        if (!_source.TryReadLine(out var line))
        {
            trade = default;
            return false;
        }

        return TryParse(line, out trade);
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
                $"'{Encoding.UTF8.GetString(line[..Math.Min(line.Length, 120)])}' is neither a trade nor the aggTrades header '{Header}'");
        }

        return true;
    }

    private bool TryParse(ReadOnlySpan<byte> line, out TradeTick trade)
    {
        var fields = new CsvFields(line, _source);
        var id = fields.Long("agg_trade_id");
        var price = fields.Decimal("price", positive: true);
        var quantity = fields.Decimal("quantity", positive: true);
        var firstId = fields.Long("first_trade_id");
        var lastId = fields.Long("last_trade_id");
        var time = fields.Long("transact_time");
        var buyerMaker = fields.Bool("is_buyer_maker");
        if (_recorded)
        {
            fields.Long("receive_time_us");
        }

        fields.End(_recorded ? 8 : 7);
        if (firstId > lastId)
        {
            throw fields.Fail($"first_trade_id {firstId} is after last_trade_id {lastId}");
        }

        if (time <= 0)
        {
            throw fields.Fail($"transact_time {time} is not a Unix time in milliseconds");
        }

        if (id <= _lastId)
        {
            throw fields.Fail($"agg_trade_id {id} does not follow {_lastId}: the rows are out of order or repeated");
        }

        if (time < _lastTime)
        {
            throw fields.Fail($"transact_time {time} is before the previous row's {_lastTime}: the rows are out of order");
        }

        trade = new TradeTick(id, price, quantity, time, buyerMaker);
        if (_lastId == long.MinValue)
        {
            First = trade;
        }

        _lastId = id;
        _lastTime = time;
        return true;
    }
}
