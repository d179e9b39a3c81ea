namespace OpenSqt.Backtest.Data;

/// <summary>
/// One aggregated trade of a Binance futures <c>aggTrades</c> file: the columns <c>agg_trade_id, price, quantity,
/// first_trade_id, last_trade_id, transact_time, is_buyer_maker</c> ("The aggTrades is same as /fapi/v1/aggTrades",
/// binance/binance-public-data README.md, section FUTURES, AggTrades). <see cref="TimeMs"/> is the transact time in
/// Unix milliseconds; <see cref="IsBuyerMaker"/> true means the taker sold (the trade printed on the bid).
/// </summary>
public readonly record struct TradeTick(long AggTradeId, decimal Price, decimal Quantity, long TimeMs, bool IsBuyerMaker);

/// <summary>
/// One best bid/ask change of a Binance futures <c>bookTicker</c> file: <c>update_id, best_bid_price, best_bid_qty,
/// best_ask_price, best_ask_qty, transaction_time, event_time</c> (the header line of the files under
/// https://data.binance.vision/?prefix=data/futures/um/daily/bookTicker/, the same fields as the
/// <c>&lt;symbol&gt;@bookTicker</c> stream u, b, B, a, A, T, E:
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Individual-Symbol-Book-Ticker-Streams).
/// <see cref="TimeMs"/> is the transaction time in Unix milliseconds.
/// </summary>
public readonly record struct BookTick(long UpdateId, decimal BidPrice, decimal BidQuantity, decimal AskPrice, decimal AskQuantity, long TimeMs);

/// <summary>What one replayed event is.</summary>
public enum MarketEventKind
{
    Trade = 1,
    Book = 2,
}

/// <summary>One event of the merged, time-ordered market history: a trade or a best bid/ask change.</summary>
public readonly record struct MarketEvent(MarketEventKind Kind, TradeTick Trade, BookTick Book)
{
    public long TimeMs => Kind == MarketEventKind.Trade ? Trade.TimeMs : Book.TimeMs;

    public static MarketEvent Of(TradeTick trade) => new(MarketEventKind.Trade, trade, default);

    public static MarketEvent Of(BookTick book) => new(MarketEventKind.Book, default, book);
}
