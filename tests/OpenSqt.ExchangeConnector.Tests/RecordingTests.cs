using System.IO.Compression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Recording;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bybit;
using OpenSqt.VenueSimulators.Framework;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>The connector's recording (<c>Recording__Path</c>) of what it receives from the venue, on the sim venue (and the tape of Bybit and OKX from their simulators).</summary>
public sealed class RecordingTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-recording");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task RecordsTradesBookMarkAndOrderAcknowledgementsToOneFilePerKindInTheReplayLayout()
    {
        var connector = await ConnectorHost.StartAsync(Settings("BTCUSDT"));
        var recorder = connector.Services.GetRequiredService<TapeRecorder>();
        var sim = connector.Sim;
        var price = await sim.GetLatestPriceAsync("BTCUSDT");
        var up = price + 10m;
        var down = price - 10m;
        try
        {
            // The recorder subscribes as it starts; a trade printed before its subscriptions exist would not be received.
            await Eventually.TrueAsync(() => sim.Streams.Active >= 4, Wait, "the recorder subscribed");
            sim.Trade("BTCUSDT", up, 0.5m);
            sim.Trade("BTCUSDT", up, 0.25m);
            sim.Trade("BTCUSDT", down, 1.5m);
            sim.SetBook("BTCUSDT", down, 3m, down + 0.1m, 4m);
            sim.SetMarkPrice("BTCUSDT", down + 1m);
            await connector.Exchange.PlaceOrderAsync(new OrderRequest
            {
                Symbol = "BTCUSDT",
                Side = OrderSide.Buy,
                Type = OrderType.Limit,
                Quantity = 0.002m,
                Price = down - 500m,
                ClientOrderId = "rec-1",
            });
            await Eventually.TrueAsync(() => recorder.Written >= 6, Wait, "the three trades, the quote, the mark and the acknowledgement are written");
        }
        finally
        {
            await connector.DisposeAsync();
        }

        Assert.Equal(0, recorder.Dropped);
        var folder = Path.Combine(_dir.FullName, "sim", "BTCUSDT");
        var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var trades = ReadLines(Path.Combine(folder, $"BTCUSDT-aggTrades-{day}.csv.gz"));
        Assert.Equal("agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,receive_time_us", trades[0]);
        var rows = trades.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal([up, up, down], rows.Select(r => decimal.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([0.5m, 0.25m, 1.5m], rows.Select(r => decimal.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)));

        // Up-ticks are buys lifting the offer (the buyer took), the down-tick a sell hitting the bid (the buyer made).
        Assert.Equal(["false", "false", "true"], rows.Select(r => r[6]));
        var ids = rows.Select(r => long.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(ids[0] < ids[1] && ids[1] < ids[2], "agg_trade_id rises");
        Assert.All(rows, r => Assert.True(long.Parse(r[7], System.Globalization.CultureInfo.InvariantCulture) >= long.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture) * 1000 - 1000, "received after the trade"));

        var book = ReadLines(Path.Combine(folder, $"BTCUSDT-bookTicker-{day}.csv.gz"));
        Assert.Equal("update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time,receive_time_us", book[0]);
        var quote = Assert.Single(book.Skip(1)).Split(',');
        Assert.Equal([down, 3m, down + 0.1m, 4m], quote[1..5].Select(v => decimal.Parse(v, System.Globalization.CultureInfo.InvariantCulture)));

        var marks = ReadLines(Path.Combine(folder, $"BTCUSDT-markPrice-{day}.csv.gz"));
        Assert.Contains(marks.Skip(1), l => decimal.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture) == down + 1m);

        var orders = ReadLines(Path.Combine(folder, $"BTCUSDT-orders-{day}.csv.gz"));
        Assert.StartsWith("event_time,client_order_id,exchange_order_id,side,type,status,", orders[0], StringComparison.Ordinal);
        var ack = Assert.Single(orders.Skip(1)).Split(',');
        Assert.Equal(["rec-1", "Buy", "Limit", "New"], [ack[1], ack[3], ack[4], ack[5]]);
    }

    [Fact]
    public async Task ADayRecordedInTwoRunsGetsTwoFilesAndNoneIsAppendedTo()
    {
        for (var run = 0; run < 2; run++)
        {
            var connector = await ConnectorHost.StartAsync(Settings("BTCUSDT"));
            var recorder = connector.Services.GetRequiredService<TapeRecorder>();
            await Eventually.TrueAsync(() => connector.Sim.Streams.Active >= 4, Wait, "the recorder subscribed");
            var price = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
            connector.Sim.Trade("BTCUSDT", price, 1m);
            await Eventually.TrueAsync(() => recorder.Written >= 1, Wait, "the trade is written");
            await connector.DisposeAsync();
        }

        var files = Directory.GetFiles(Path.Combine(_dir.FullName, "sim", "BTCUSDT"), "BTCUSDT-aggTrades-*").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, files.Count);
        Assert.EndsWith("-2.csv.gz", files[0], StringComparison.Ordinal);
        Assert.All(files, f => Assert.Equal(2, ReadLines(f).Count));
    }

    [Fact]
    public async Task AWriterThatFallsBehindDropsRecordsAndCountsThemWhileTheVenueStreamsGoOn()
    {
        const int Trades = 5_000;
        var settings = Settings("BTCUSDT");
        settings["Recording:BufferSize"] = "16";
        await using var connector = await ConnectorHost.StartAsync(settings);
        var recorder = connector.Services.GetRequiredService<TapeRecorder>();
        var sim = connector.Sim;
        await Eventually.TrueAsync(() => sim.Streams.Active >= 4, Wait, "the recorder subscribed");
        using var stop = new CancellationTokenSource(Wait);
        await using var prices = sim.SubscribePriceAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var price = await sim.GetLatestPriceAsync("BTCUSDT");
        for (var i = 0; i < Trades; i++)
        {
            sim.Trade("BTCUSDT", price + (i % 2 == 0 ? 0.1m : 0m), 0.001m);
        }

        // Every record is either on disk or counted as dropped; none is lost unaccounted, and a client of the venue's
        // price stream received every trade.
        await Eventually.TrueAsync(() => recorder.Written + recorder.Dropped == Trades, Wait, $"written {recorder.Written} + dropped {recorder.Dropped} account for {Trades}");
        for (var i = 0; i < Trades; i++)
        {
            await Eventually.NextAsync(prices, Wait, $"price {i}");
        }
    }

    [Theory]
    [InlineData("bybit")]
    [InlineData("okx")]
    public async Task RecordsTheTapeOfBybitAndOkxFromTheirSimulatorsInBaseUnits(string venue)
    {
        await using VenueSimulatorHost sim = venue == "bybit" ? await BybitSimulator.StartAsync() : await OkxSimulator.StartAsync();
        var settings = Settings("BTCUSDT");
        settings["EXCHANGE"] = venue;
        if (sim is BybitSimulator bybit)
        {
            settings["API_KEY"] = BybitSimulator.DefaultApiKey;
            settings["API_SECRET"] = BybitSimulator.DefaultApiSecret;
            settings["Exchanges:Bybit:RestBaseUrl"] = bybit.RestBaseUrl;
            settings["Exchanges:Bybit:WsBaseUrl"] = bybit.WsBaseUrl;
        }
        else
        {
            var okx = (OkxSimulator)sim;
            settings["API_KEY"] = OkxSimulator.DefaultApiKey;
            settings["API_SECRET"] = OkxSimulator.DefaultApiSecret;
            settings["PASSPHRASE"] = OkxSimulator.DefaultPassphrase;
            settings["Exchanges:Okx:RestBaseUrl"] = okx.RestBaseUrl;
            settings["Exchanges:Okx:WsBaseUrl"] = okx.WsPublicUrl;
            settings["Exchanges:Okx:WsPrivateUrl"] = okx.WsPrivateUrl;
            settings["Exchanges:Okx:WsBusinessUrl"] = okx.WsBusinessUrl;
        }

        var connector = await ConnectorHost.StartAsync(settings);
        var recorder = connector.Services.GetRequiredService<TapeRecorder>();
        var price = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var down = price - 10m;
        try
        {
            // The venue starts its pumps as it confirms the recorder's subscriptions: print until both kinds are written.
            await Eventually.TrueAsync(() =>
            {
                sim.Engine.Trade("BTCUSDT", down, 0.75m);
                sim.Engine.SetBook("BTCUSDT", down, 2.5m, down + 0.1m, 3.5m);
                var files = recorder.Files;
                return files.Any(f => f.Contains("-aggTrades-", StringComparison.Ordinal)) && files.Any(f => f.Contains("-bookTicker-", StringComparison.Ordinal));
            }, Wait, "trades and book tops are written");
        }
        finally
        {
            await connector.DisposeAsync();
        }

        // Sizes in base units (OKX sends contracts of ctVal each), the seller as taker, the venue's increasing ids.
        var folder = Path.Combine(_dir.FullName, venue, "BTCUSDT");
        var trades = Directory.GetFiles(folder, "BTCUSDT-aggTrades-*").SelectMany(f => ReadLines(f).Skip(1)).Select(l => l.Split(',')).ToList();
        Assert.NotEmpty(trades);
        Assert.All(trades, r => Assert.Equal((down, 0.75m, "true"), (decimal.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture), r[6])));
        var ids = trades.Select(r => long.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
        var book = Directory.GetFiles(folder, "BTCUSDT-bookTicker-*").SelectMany(f => ReadLines(f).Skip(1)).Select(l => l.Split(',')).ToList();
        Assert.NotEmpty(book);
        Assert.All(book, r => Assert.Equal([down, 2.5m, down + 0.1m, 3.5m], r[1..5].Select(v => decimal.Parse(v, System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Theory]
    [InlineData(null, "Recording:Symbols is required")]
    [InlineData("BTC-USDT", "Recording:Symbols 'BTC-USDT' is not a symbol")]
    public async Task ARecordingWithoutUsableSymbolsStopsTheConnectorAtStartNamingTheKey(string? symbols, string message)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ConnectorHost.StartAsync(Settings(symbols)));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Settings(string? symbols) => new()
    {
        ["Recording:Path"] = _dir.FullName,
        ["Recording:Symbols"] = symbols,
        ["Recording:FlushInterval"] = "00:00:00.050",
    };

    private static List<string> ReadLines(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
