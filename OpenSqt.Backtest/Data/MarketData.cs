namespace OpenSqt.Backtest.Data;

/// <summary>
/// The market history of one symbol as given on the command line: one file, or a folder of Binance futures
/// <c>&lt;SYMBOL&gt;-aggTrades-&lt;date&gt;</c> and <c>&lt;SYMBOL&gt;-bookTicker-&lt;date&gt;</c> files (.csv or .zip,
/// the names data.binance.vision gives them, binance/binance-public-data README.md "Where do I access it"; or .csv.gz,
/// as the ExchangeConnector records them under <c>Recording__Path/&lt;venue&gt;/&lt;SYMBOL&gt;/</c>).
/// Files of one kind are chained in time order and must not overlap; trades and quotes are merged by time, a quote
/// before a trade of the same millisecond. Nothing is loaded whole.
/// </summary>
public sealed class MarketData
{
    private MarketData(IReadOnlyList<string> tradeFiles, IReadOnlyList<string> bookFiles, long? startMs, long? endMs)
    {
        TradeFiles = tradeFiles;
        BookFiles = bookFiles;
        StartMs = startMs;
        EndMs = endMs;
    }

    /// <summary>The aggTrades files, in time order.</summary>
    public IReadOnlyList<string> TradeFiles { get; }

    /// <summary>The bookTicker files, in time order; empty when there is no book data.</summary>
    public IReadOnlyList<string> BookFiles { get; }

    public bool HasBook => BookFiles.Count > 0;

    public long? StartMs { get; }

    public long? EndMs { get; }

    /// <summary>
    /// Finds and checks the files: every data file in a folder must be an aggTrades or bookTicker file of
    /// <paramref name="symbol"/>; each file must hold at least one row; files of one kind must not overlap in time.
    /// </summary>
    public static MarketData Open(string path, string symbol, long? startMs = null, long? endMs = null)
    {
        if (startMs is { } s && endMs is { } e && e <= s)
        {
            throw new DataFormatException($"the end {e} must be after the start {s}");
        }

        List<string> candidates;
        List<string> sideFiles = [];
        if (File.Exists(path))
        {
            candidates = [path];
        }
        else if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
            sideFiles = files.Where(IsSideRecord).ToList();
            candidates = files.Except(sideFiles).ToList();
            if (candidates.Count == 0)
            {
                throw new DataFormatException($"{path}: the folder holds no .csv, .csv.gz or .zip files of trades or quotes");
            }
        }
        else
        {
            throw new DataFormatException($"{path}: no such file or folder");
        }

        var trades = new List<(string Path, long First)>();
        var books = new List<(string Path, long First)>();
        foreach (var file in candidates)
        {
            var name = System.IO.Path.GetFileName(file);
            var kind = KindOf(name);
            if (kind is null && candidates.Count > 1)
            {
                throw new DataFormatException($"{file}: neither an aggTrades nor a bookTicker file (expected <SYMBOL>-aggTrades-<date>.csv|csv.gz|zip or <SYMBOL>-bookTicker-<date>.csv|csv.gz|zip)");
            }

            var marker = name.IndexOf(kind == MarketEventKind.Book ? "-bookTicker" : "-aggTrades", StringComparison.OrdinalIgnoreCase);
            if (marker > 0 && !string.Equals(name[..marker], symbol, StringComparison.OrdinalIgnoreCase))
            {
                throw new DataFormatException($"{file}: the file is of {name[..marker]}, not of {symbol}");
            }

            if (kind == MarketEventKind.Book)
            {
                using var book = BookTickerFile.Open(file);
                books.Add((file, book.First.TimeMs));
            }
            else
            {
                using var trade = AggTradeFile.Open(file);
                trades.Add((file, trade.First.TimeMs));
            }
        }

        if (trades.Count == 0)
        {
            throw new DataFormatException($"{path}: no aggTrades file; the replay needs the trades");
        }

        return new MarketData(
            trades.OrderBy(t => t.First).Select(t => t.Path).ToList(),
            books.OrderBy(b => b.First).Select(b => b.Path).ToList(),
            startMs,
            endMs)
        {
            SideFiles = sideFiles,
        };
    }

    /// <summary>
    /// The files of a connector recording in the folder that are not replayed: the mark price and funding rate
    /// (<c>-markPrice-</c>, the sim venue's own funding applies instead) and the venue's order acknowledgements
    /// (<c>-orders-</c>, what the live engine did). The command names them so nothing is left out unannounced.
    /// </summary>
    public IReadOnlyList<string> SideFiles { get; private init; } = [];

    private static bool IsSideRecord(string file)
    {
        var name = System.IO.Path.GetFileName(file);
        return name.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase)
            && (name.Contains("-markPrice-", StringComparison.Ordinal) || name.Contains("-orders-", StringComparison.Ordinal));
    }

    /// <summary>The merged events between the start (inclusive) and the end (exclusive), in time order.</summary>
    public IEnumerable<MarketEvent> Events()
    {
        using var trades = Trades().GetEnumerator();
        using var books = Books().GetEnumerator();
        var hasTrade = trades.MoveNext();
        var hasBook = books.MoveNext();
        while (hasTrade || hasBook)
        {
            MarketEvent next;
            if (hasBook && (!hasTrade || books.Current.TimeMs <= trades.Current.TimeMs))
            {
                next = MarketEvent.Of(books.Current);
                hasBook = books.MoveNext();
            }
            else
            {
                next = MarketEvent.Of(trades.Current);
                hasTrade = trades.MoveNext();
            }

            if (StartMs is { } start && next.TimeMs < start)
            {
                continue;
            }

            if (EndMs is { } end && next.TimeMs >= end)
            {
                yield break;
            }

            yield return next;
        }
    }

    /// <summary>The trades of every file in turn; a file that starts before the previous one ended is refused.</summary>
    public IEnumerable<TradeTick> Trades()
    {
        string? previous = null;
        TradeTick last = default;
        foreach (var path in TradeFiles)
        {
            using var file = AggTradeFile.Open(path);
            var first = true;
            while (file.TryRead(out var trade))
            {
                if (first && previous is not null && (trade.TimeMs < last.TimeMs || trade.AggTradeId <= last.AggTradeId))
                {
                    throw new DataFormatException($"{path} overlaps {previous}: it starts at agg_trade_id {trade.AggTradeId}, time {trade.TimeMs}, before the other ends at agg_trade_id {last.AggTradeId}, time {last.TimeMs}");
                }

                first = false;
                last = trade;
                yield return trade;
            }

            previous = path;
        }
    }

    /// <summary>The quotes of every file in turn; a file that starts before the previous one ended is refused.</summary>
    public IEnumerable<BookTick> Books()
    {
        string? previous = null;
        BookTick last = default;
        foreach (var path in BookFiles)
        {
            using var file = BookTickerFile.Open(path);
            var first = true;
            while (file.TryRead(out var tick))
            {
                if (first && previous is not null && tick.TimeMs < last.TimeMs)
                {
                    throw new DataFormatException($"{path} overlaps {previous}: it starts at time {tick.TimeMs}, before the other ends at time {last.TimeMs}");
                }

                first = false;
                last = tick;
                yield return tick;
            }

            previous = path;
        }
    }

    private static MarketEventKind? KindOf(string name) =>
        name.Contains("bookTicker", StringComparison.OrdinalIgnoreCase) ? MarketEventKind.Book
        : name.Contains("aggTrades", StringComparison.OrdinalIgnoreCase) ? MarketEventKind.Trade
        : null;
}
