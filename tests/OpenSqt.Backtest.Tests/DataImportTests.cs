using System.IO.Compression;
using OpenSqt.Backtest.Data;

namespace OpenSqt.Backtest.Tests;

public sealed class DataImportTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-backtest-data");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void AggTradesWithHeaderReadAsDecimalTradesInOrder()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            AggTradeFile.Header,
            "100,95000.10,0.012,200,201,1767225600000,true",
            "101,95000.2,1.5,202,204,1767225600005,false");

        var trades = MarketData.Open(path, "BTCUSDT").Trades().ToList();

        Assert.Equal(
            [new TradeTick(100, 95000.10m, 0.012m, 1767225600000, true), new TradeTick(101, 95000.2m, 1.5m, 1767225600005, false)],
            trades);
        Assert.Equal("95000.10", trades[0].Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void NumbersInEveryPlainShapeReadAsTheFrameworkParsesThem()
    {
        // Ids, times, prices and quantities as a file may write them: leading and trailing zeros, with and without a
        // point, a point first or last, up to 22 digits (the import reads up to 18 itself, more through the framework).
        // Each is read to the same value, and a decimal to the same scale, as long.Parse and decimal.Parse give.
        var random = new Random(5);
        var rows = new List<string>();
        var expected = new List<(long Id, string Price, string Quantity, long Time)>();
        long id = 0, time = 1767225600000;
        for (var i = 0; i < 20_000; i++)
        {
            id += random.Next(1, 1_000_000) * (long)random.Next(1, 1_000_000);
            time += random.Next(0, 1000);
            var (price, quantity) = (Number(random), Number(random));
            expected.Add((id, price, quantity, time));
            rows.Add($"{Zeros(random)}{id},{price},{quantity},1,1,{Zeros(random)}{time},true");
        }

        var trades = MarketData.Open(Write("BTCUSDT-aggTrades-2026-01-01.csv", [.. rows]), "BTCUSDT").Trades().ToList();

        Assert.Equal(expected.Count, trades.Count);
        for (var i = 0; i < trades.Count; i++)
        {
            Assert.Equal(expected[i].Id, trades[i].AggTradeId);
            Assert.Equal(expected[i].Time, trades[i].TimeMs);
            Assert.Equal(decimal.GetBits(decimal.Parse(expected[i].Price, System.Globalization.CultureInfo.InvariantCulture)), decimal.GetBits(trades[i].Price));
            Assert.Equal(decimal.GetBits(decimal.Parse(expected[i].Quantity, System.Globalization.CultureInfo.InvariantCulture)), decimal.GetBits(trades[i].Quantity));
        }

        static string Zeros(Random random) => new('0', random.Next(4) == 0 ? random.Next(1, 6) : 0);

        static string Number(Random random)
        {
            var text = new System.Text.StringBuilder();
            for (var n = random.Next(0, 12); n > 0; n--)
            {
                text.Append((char)('0' + random.Next(10)));
            }

            if (random.Next(3) > 0)
            {
                text.Append('.');
                for (var n = random.Next(0, 11); n > 0; n--)
                {
                    text.Append((char)('0' + (random.Next(3) == 0 ? 0 : random.Next(10))));
                }
            }

            // Positive, as a price and a quantity must be.
            return text.ToString().Any(c => c is >= '1' and <= '9') ? text.ToString() : text.Append('7').ToString();
        }
    }

    [Fact]
    public void AggTradesWithoutHeaderAndWithCrlfReadTheSame()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            "100,95000.10,0.012,200,201,1767225600000,true\r",
            "101,95000.2,1.5,202,204,1767225600005,False\r",
            "");

        var trades = MarketData.Open(path, "BTCUSDT").Trades().ToList();

        Assert.Equal(2, trades.Count);
        Assert.False(trades[1].IsBuyerMaker);
        Assert.Equal(1.5m, trades[1].Quantity);
    }

    [Fact]
    public void ZippedAggTradesStreamFromTheArchive()
    {
        var csv = Write("inner.csv", AggTradeFile.Header, "7,100.5,2,1,1,1767225600000,true");
        var zip = Path.Combine(_dir.FullName, "BTCUSDT-aggTrades-2026-01-01.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            archive.CreateEntryFromFile(csv, "BTCUSDT-aggTrades-2026-01-01.csv");
        }

        File.Delete(csv);
        var trade = Assert.Single(MarketData.Open(zip, "BTCUSDT").Trades());

        Assert.Equal(new TradeTick(7, 100.5m, 2m, 1767225600000, true), trade);
    }

    [Fact]
    public void AMalformedRowIsRefusedNamingFileLineAndColumn()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            AggTradeFile.Header,
            "100,95000.10,0.012,200,201,1767225600000,true",
            "101,95k,1.5,202,204,1767225600005,false");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT").Trades().ToList());

        Assert.Equal(path, ex.File);
        Assert.Equal(3, ex.Line);
        Assert.Contains("price '95k' is not a non-negative decimal number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100,95000.1,0.01,200,201,1767225600000", "too few columns: 'is_buyer_maker'")]
    [InlineData("100,95000.1,0.01,200,201,1767225600000,true,x", "too many columns")]
    [InlineData("100,95000.1,0,200,201,1767225600000,true", "quantity '0' must be positive")]
    [InlineData("100,95000.1,0.01,200,201,1767225600000,yes", "is_buyer_maker 'yes' is neither true nor false")]
    [InlineData("100,95000.1,0.01,202,201,1767225600000,true", "first_trade_id 202 is after last_trade_id 201")]
    [InlineData("100,-5,0.01,200,201,1767225600000,true", "price '-5'")]
    public void EachKindOfBadRowIsRefusedWithItsReason(string row, string reason)
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv", "1,95000,0.01,1,1,1767225500000,true", row);

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT").Trades().ToList());

        Assert.Equal(2, ex.Line);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RowsGoingBackInTimeAreRefused()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            "100,95000,0.01,1,1,1767225600005,true",
            "101,95000,0.01,2,2,1767225600004,true");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT").Trades().ToList());

        Assert.Equal(2, ex.Line);
        Assert.Contains("out of order", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARepeatedAggTradeIdIsRefused()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            "100,95000,0.01,1,1,1767225600005,true",
            "100,95000,0.01,1,1,1767225600005,true");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT").Trades().ToList());

        Assert.Contains("agg_trade_id 100 does not follow 100", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABlankLineInsideTheDataIsRefused()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            "100,95000,0.01,1,1,1767225600005,true",
            "",
            "101,95000,0.01,2,2,1767225600006,true");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT").Trades().ToList());

        Assert.Equal(2, ex.Line);
        Assert.Contains("blank line", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFileWithoutTradesIsRefused(bool header)
    {
        var path = header ? Write("BTCUSDT-aggTrades-2026-01-01.csv", AggTradeFile.Header, "") : Write("BTCUSDT-aggTrades-2026-01-01.csv");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT"));

        Assert.Contains("holds no trades", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongHeaderIsRefused()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv", "id,price,qty,quote_qty,time,is_buyer_maker", "1,95000,0.01,950,1767225600005,true");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT"));

        Assert.Equal(1, ex.Line);
        Assert.Contains("neither a trade nor the aggTrades header", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FilesOfAFolderAreChainedInTimeOrder()
    {
        Write("BTCUSDT-aggTrades-2026-01-02.csv", "3,95002,0.01,3,3,1767312000000,true");
        Write("BTCUSDT-aggTrades-2026-01-01.csv", "1,95000,0.01,1,1,1767225600000,true", "2,95001,0.01,2,2,1767225600001,false");

        var data = MarketData.Open(_dir.FullName, "BTCUSDT");

        Assert.Equal([1L, 2L, 3L], data.Trades().Select(t => t.AggTradeId));
        Assert.False(data.HasBook);
    }

    [Fact]
    public void OverlappingFilesAreRefused()
    {
        Write("BTCUSDT-aggTrades-2026-01-01.csv", "1,95000,0.01,1,1,1767225600000,true", "5,95001,0.01,5,5,1767225600010,false");
        var second = Write("BTCUSDT-aggTrades-2026-01-01b.csv", "3,95002,0.01,3,3,1767225600005,true");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(_dir.FullName, "BTCUSDT").Trades().ToList());

        Assert.StartsWith(second + " overlaps ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileOfAnotherSymbolOrAnUnknownFileInTheFolderIsRefused()
    {
        Write("BTCUSDT-aggTrades-2026-01-01.csv", "1,95000,0.01,1,1,1767225600000,true");
        var eth = Write("ETHUSDT-aggTrades-2026-01-01.csv", "1,3400,0.01,1,1,1767225600000,true");

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(_dir.FullName, "BTCUSDT"));
        Assert.Equal($"{eth}: the file is of ETHUSDT, not of BTCUSDT", ex.Message);

        File.Delete(eth);
        var notes = Write("notes.csv", "hello");
        ex = Assert.Throws<DataFormatException>(() => MarketData.Open(_dir.FullName, "BTCUSDT"));
        Assert.StartsWith($"{notes}: neither an aggTrades nor a bookTicker file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyFolderOrAMissingPathIsRefused()
    {
        Assert.Contains("holds no .csv, .csv.gz or .zip files", Assert.Throws<DataFormatException>(() => MarketData.Open(_dir.FullName, "BTCUSDT")).Message, StringComparison.Ordinal);
        var missing = Path.Combine(_dir.FullName, "nope");
        Assert.Equal($"{missing}: no such file or folder", Assert.Throws<DataFormatException>(() => MarketData.Open(missing, "BTCUSDT")).Message);
    }

    [Fact]
    public void BookTickerQuotesMergeWithTradesByTimeQuoteFirst()
    {
        Write("BTCUSDT-aggTrades-2026-01-01.csv", "1,95000.1,0.01,1,1,1767225600000,false", "2,94999.9,0.02,2,2,1767225600010,true");
        Write("BTCUSDT-bookTicker-2026-01-01.csv",
            BookTickerFile.Header,
            "11,95000.0,3.5,95000.1,1.25,1767225600000,1767225600002",
            "12,94999.9,0.7,95000.0,2,1767225600005,1767225600006");

        var data = MarketData.Open(_dir.FullName, "BTCUSDT");
        var events = data.Events().ToList();

        Assert.True(data.HasBook);
        Assert.Equal([MarketEventKind.Book, MarketEventKind.Trade, MarketEventKind.Book, MarketEventKind.Trade], events.Select(e => e.Kind));
        Assert.Equal(new BookTick(11, 95000.0m, 3.5m, 95000.1m, 1.25m, 1767225600000), events[0].Book);
        Assert.Equal(2L, events[3].Trade.AggTradeId);
    }

    [Theory]
    [InlineData("11,95000.1,3.5,95000.1,1.25,1767225600000,1767225600002", "best_bid_price 95000.1 is not below best_ask_price 95000.1")]
    [InlineData("11,95000.0,3.5,95000.1,1767225600000,1767225600002", "too few columns: 'event_time'")]
    public void ABadQuoteIsRefusedNamingFileAndLine(string row, string reason)
    {
        Write("BTCUSDT-aggTrades-2026-01-01.csv", "1,95000.1,0.01,1,1,1767225600000,false");
        var book = Write("BTCUSDT-bookTicker-2026-01-01.csv", BookTickerFile.Header, row);

        var ex = Assert.Throws<DataFormatException>(() => MarketData.Open(_dir.FullName, "BTCUSDT"));

        Assert.Equal(book, ex.File);
        Assert.Equal(2, ex.Line);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartAndEndCutTheEvents()
    {
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv",
            "1,95000,0.01,1,1,1000,true", "2,95000,0.01,2,2,2000,true", "3,95000,0.01,3,3,3000,true");

        var data = MarketData.Open(path, "BTCUSDT", startMs: 2000, endMs: 3000);

        Assert.Equal([2L], data.Events().Select(e => e.Trade.AggTradeId));
        Assert.Throws<DataFormatException>(() => MarketData.Open(path, "BTCUSDT", startMs: 3000, endMs: 2000));
    }

    [Fact]
    public void ALongFileStreamsThroughTheBufferWithoutLosingRows()
    {
        const int Rows = 20_000;
        var lines = Enumerable.Range(1, Rows).Select(i => $"{i},{95000 + (i % 100)}.5,0.001,{i},{i},{1767225600000 + i},{(i % 2 == 0 ? "true" : "false")}");
        var path = Write("BTCUSDT-aggTrades-2026-01-01.csv", [AggTradeFile.Header, .. lines]);

        var trades = MarketData.Open(path, "BTCUSDT").Trades().ToList();

        Assert.Equal(Rows, trades.Count);
        Assert.Equal(95000.5m + (Rows % 100), trades[^1].Price);
        Assert.Equal(Rows, trades[^1].AggTradeId);
    }

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, string.Join('\n', lines));
        return path;
    }
}
