using System.Globalization;
using System.IO.Compression;
using Microsoft.Extensions.DependencyInjection;
using OpenSqt.ExchangeConnector.Recording;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bitget;
using OpenSqt.VenueSimulators.Framework;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>
/// The connector records the public tape of Bitget and of Gate (<c>Recording__Path</c>) from the venue simulators: trades
/// with their sizes and aggressor, and the best bid and ask, in base units (Gate's contract sizes converted).
/// </summary>
public sealed class RecordingOnBitgetAndGateTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-recording-venues");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task BitgetTradesAndBookTopAreRecorded()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await RecordAndCheckAsync(sim, "bitget", new()
        {
            ["EXCHANGE"] = "bitget",
            ["API_KEY"] = BitgetSimulator.DefaultApiKey,
            ["API_SECRET"] = BitgetSimulator.DefaultApiSecret,
            ["PASSPHRASE"] = BitgetSimulator.DefaultPassphrase,
            ["Exchanges:Bitget:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Bitget:WsBaseUrl"] = sim.PublicWsUrl,
            ["Exchanges:Bitget:WsPrivateUrl"] = sim.PrivateWsUrl,
        });
    }

    [Fact]
    public async Task GateTradesAndBookTopAreRecordedInBaseUnits()
    {
        // The Gate simulator trades BTC_USDT in contracts of 0.001 BTC: 0.75 BTC goes on the wire as 750 contracts.
        await using var sim = await GateSimulator.StartAsync();
        await RecordAndCheckAsync(sim, "gate", new()
        {
            ["EXCHANGE"] = "gate",
            ["API_KEY"] = GateSimulator.DefaultApiKey,
            ["API_SECRET"] = GateSimulator.DefaultApiSecret,
            ["Exchanges:Gate:RestBaseUrl"] = sim.ApiBaseUrl,
            ["Exchanges:Gate:WsBaseUrl"] = sim.FuturesWsUrl,
        });
    }

    private async Task RecordAndCheckAsync(IVenueSimulator sim, string venue, Dictionary<string, string?> settings)
    {
        settings["Recording:Path"] = _dir.FullName;
        settings["Recording:Symbols"] = "BTCUSDT";
        settings["Recording:FlushInterval"] = "00:00:00.050";
        var engine = sim.Engine;
        var before = engine.Streams.Active;
        var price = await engine.GetLatestPriceAsync("BTCUSDT");
        var down = price - 10m;
        var up = price + 10m;
        var connector = await ConnectorHost.StartAsync(settings);
        var recorder = connector.Services.GetRequiredService<TapeRecorder>();
        try
        {
            // The simulator's trade, book and ticker (mark) pumps are on the engine once its three subscriptions are live.
            await Eventually.TrueAsync(() => engine.Streams.Active >= before + 3, Wait, "the recorder's public channels reach the engine");
            engine.Trade("BTCUSDT", down, 0.75m);
            engine.Trade("BTCUSDT", up, 1.25m);
            await Eventually.TrueAsync(() => recorder.Written >= 4, Wait, "the two trades and their two marks are written");
            engine.SetBook("BTCUSDT", down, 2.5m, down + 0.1m, 3.5m);
            await Eventually.TrueAsync(() => recorder.Written >= 5, Wait, "the book top is written");
        }
        finally
        {
            await connector.DisposeAsync();
        }

        Assert.Equal(0, recorder.Dropped);
        var folder = Path.Combine(_dir.FullName, venue, "BTCUSDT");
        var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var trades = ReadLines(Path.Combine(folder, $"BTCUSDT-aggTrades-{day}.csv.gz")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal([(down, 0.75m, "true"), (up, 1.25m, "false")], trades.Select(r => (decimal.Parse(r[1], CultureInfo.InvariantCulture), decimal.Parse(r[2], CultureInfo.InvariantCulture), r[6])));
        Assert.True(long.Parse(trades[0][0], CultureInfo.InvariantCulture) < long.Parse(trades[1][0], CultureInfo.InvariantCulture), "the venue's trade ids rise");
        var book = Assert.Single(ReadLines(Path.Combine(folder, $"BTCUSDT-bookTicker-{day}.csv.gz")).Skip(1)).Split(',');
        Assert.Equal([down, 2.5m, down + 0.1m, 3.5m], book[1..5].Select(v => decimal.Parse(v, CultureInfo.InvariantCulture)));
    }

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
