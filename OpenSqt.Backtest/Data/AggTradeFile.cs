namespace OpenSqt.Backtest.Data;

/// <summary>
/// Streams one Binance futures <c>aggTrades</c> file (.csv or .zip, with or without the header line). Every row is
/// checked: seven columns, positive price and quantity, first trade id not after the last, agg_trade_id rising and
/// transact_time never going back. A row that fails names the file and line; nothing is skipped.
/// </summary>
public sealed class AggTradeFile : HistoryFile<TradeTick>
{
    /// <summary>
    /// The header line of the files on data.binance.vision; the column order is the one of /fapi/v1/aggTrades
    /// (binance/binance-public-data README.md, FUTURES, AggTrades: "Aggregate tradeId, Price, Quantity, First tradeId,
    /// Last tradeId, Timestamp, Was the buyer the maker").
    /// </summary>
    public const string Header = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker";

    private long _lastId = long.MinValue;
    private long _lastTime = long.MinValue;

    private AggTradeFile(CsvLineSource source)
        : base(source, Header, "trade", "aggTrades")
    {
    }

    /// <summary>Opens the file and reads its first trade; a file without one is refused.</summary>
    public static AggTradeFile Open(string path)
    {
        var file = new AggTradeFile(CsvLineSource.Open(path));
        file.ReadFirst();
        return file;
    }

    private protected override TradeTick Parse(ReadOnlySpan<byte> line)
    {
        var fields = new CsvFields(line, Source);
        var id = fields.Long("agg_trade_id");
        var price = fields.Decimal("price", positive: true);
        var quantity = fields.Decimal("quantity", positive: true);
        var firstId = fields.Long("first_trade_id");
        var lastId = fields.Long("last_trade_id");
        var time = fields.Long("transact_time");
        var buyerMaker = fields.Bool("is_buyer_maker");
        End(ref fields, 7);
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

        _lastId = id;
        _lastTime = time;
        return new TradeTick(id, price, quantity, time, buyerMaker);
    }
}
