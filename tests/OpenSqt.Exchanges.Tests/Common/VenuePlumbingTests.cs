using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Tests.Common;

public sealed class VenuePlumbingTests
{
    [Theory]
    [InlineData("{\"v\":\"0.00100000\"}", "0.001")]
    [InlineData("{\"v\":0.001}", "0.001")]
    [InlineData("{\"v\":-1.25e-8}", "-0.0000000125")]
    [InlineData("{\"v\":\"1.5E-3\"}", "0.0015")]
    [InlineData("{\"v\":\"\"}", "0")]
    [InlineData("{\"v\":null}", "0")]
    [InlineData("{}", "0")]
    public void NumbersAreReadFromStringsOrNumbersIntoDecimal(string json, string expected)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), doc.RootElement.GetDecimal("v"));
    }

    [Fact]
    public void Utf8ReaderParsesStringAndNumberDecimalsAndIds()
    {
        var reader = new Utf8JsonReader("[\"7100.50\",7100.5,\"12345678\",12345678]"u8);
        reader.Read();
        reader.Read();
        Assert.Equal(7100.50m, VenueJson.ReadDecimal(ref reader, "a"));
        reader.Read();
        Assert.Equal(7100.5m, VenueJson.ReadDecimal(ref reader, "b"));
        reader.Read();
        Assert.Equal(12345678L, VenueJson.ReadInt64(ref reader, "c"));
        reader.Read();
        Assert.Equal(12345678L, VenueJson.ReadInt64(ref reader, "d"));
    }

    [Fact]
    public void MalformedNumberIsAnInternalErrorNamingTheField()
    {
        using var doc = JsonDocument.Parse("{\"price\":\"12,5\"}");
        var ex = Assert.Throws<ExchangeException>(() => doc.RootElement.GetDecimal("price"));
        Assert.Equal(ExchangeErrorKind.Internal, ex.Kind);
        Assert.Contains("'price'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(50, 60)]
    public void ReconnectBackoffDoublesUpToSixtySeconds(int attempt, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ReconnectBackoff.Delay(attempt));
    }

    [Fact]
    public void SymbolMapperWritesEachVenueForm()
    {
        Assert.Equal("BTCUSDT", SymbolMapper.Identity.ToVenue("BTCUSDT"));
        var gate = SymbolMapper.Delimited("_");
        Assert.Equal("BTC_USDT", gate.ToVenue("BTCUSDT"));
        Assert.Equal("BTCUSDT", gate.FromVenue("BTC_USDT"));
        var okx = SymbolMapper.Delimited("-", "-SWAP");
        Assert.Equal("ETH-USDT-SWAP", okx.ToVenue("ETHUSDT"));
        Assert.Equal("ETHUSDT", okx.FromVenue("ETH-USDT-SWAP"));
        var ex = Assert.Throws<ExchangeException>(() => gate.ToVenue("BTCEUR"));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void ContractSizeConvertsExactlyAndRefusesFractions()
    {
        Assert.Equal(3m, ContractSize.ToContracts(0.03m, 0.01m));
        Assert.Equal(0.03m, ContractSize.ToBase(3m, 0.01m));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, Assert.Throws<ExchangeException>(() => ContractSize.ToContracts(0.015m, 0.01m)).Kind);
        Assert.Equal("3", ContractSize.FormatWhole(3m));
        var rules = new SymbolRules { Symbol = "BTCUSDT", BaseAsset = "BTC", QuoteAsset = "USDT", TickSize = 0.1m, StepSize = 1m, MinQuantity = 1m, MaxQuantity = 1000m };
        var inBase = ContractSize.RulesInBase(rules, 0.01m);
        Assert.Equal((0.01m, 0.01m, 10m, 0.01m), (inBase.StepSize, inBase.MinQuantity, inBase.MaxQuantity!.Value, inBase.ContractSize));
    }

    [Fact]
    public void ServerClockTakesTheMidpointOfTheRoundTrip()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000_000));
        var clock = new ServerClock(time);
        Assert.False(clock.IsSynced);
        var sent = time.GetUtcNow();
        time.Advance(TimeSpan.FromMilliseconds(100));
        clock.Update(1_010_050, sent, time.GetUtcNow());
        Assert.True(clock.IsSynced);
        Assert.Equal(TimeSpan.FromSeconds(10), clock.Offset);
        Assert.Equal(1_010_100, clock.NowMilliseconds);
    }

    [Fact]
    public async Task RateLimitTrackerWaitsForTheNextWindowBeforeTheLimit()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 10, TimeSpan.Zero));
        var tracker = new RateLimitTracker([new RateLimitRule("W", 10, TimeSpan.FromMinutes(1), "X-USED")], time.GetUtcNow, time, safetyFraction: 0.8, maxWait: TimeSpan.FromMinutes(2));
        for (var i = 0; i < 8; i++)
        {
            await tracker.AcquireAsync([new RateLimitCost("W", 1)], CancellationToken.None);
        }

        Assert.Equal(8, tracker.Used("W"));
        var ninth = tracker.AcquireAsync([new RateLimitCost("W", 1)], CancellationToken.None).AsTask();
        Assert.False(ninth.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(51));
        await ninth.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, tracker.Used("W"));
        Assert.Equal(1, tracker.Waits);
    }

    [Fact]
    public async Task RateLimitTrackerTrustsVenueHeadersAndRefusesDuringRetryAfter()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 10, TimeSpan.Zero));
        var tracker = new RateLimitTracker([new RateLimitRule("W", 100, TimeSpan.FromMinutes(1), "X-USED")], time.GetUtcNow, time, maxWait: TimeSpan.FromSeconds(1));
        using var response = new HttpResponseMessage();
        response.Headers.Add("X-USED", "95");
        tracker.Observe(response.Headers);
        Assert.Equal(95, tracker.Used("W"));
        var spent = await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync([new RateLimitCost("W", 1)], CancellationToken.None).AsTask());
        Assert.Equal(ExchangeErrorKind.RateLimited, spent.Kind);
        Assert.Equal(TimeSpan.FromSeconds(50), spent.RetryAfter);
        time.Advance(TimeSpan.FromSeconds(50));
        tracker.Block(TimeSpan.FromSeconds(30));
        var paused = await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync([new RateLimitCost("W", 1)], CancellationToken.None).AsTask());
        Assert.Equal(TimeSpan.FromSeconds(30), paused.RetryAfter);
        time.Advance(TimeSpan.FromSeconds(30));
        await tracker.AcquireAsync([new RateLimitCost("W", 1)], CancellationToken.None);
    }

    [Fact]
    public void ErrorTableMapsCodesAndFallsBackByStatus()
    {
        var table = new VenueErrorTable("v", new Dictionary<string, VenueErrorInfo> { ["7"] = new(ExchangeErrorKind.Unavailable, IsClockError: true, Explanation: "clock") });
        var clock = table.ToFailure("7", "ts", 400);
        Assert.True(clock.IsClockError);
        Assert.Equal("v error 7: ts (clock)", clock.Exception.Message);
        Assert.Equal(ExchangeErrorKind.Rejected, table.ToFailure("9", "x", 400).Exception.Kind);
        Assert.Equal(ExchangeErrorKind.Unavailable, table.ToFailure("9", "x", 502).Exception.Kind);
    }

    [Fact]
    public void RecentKeysDropsDuplicatesWithinItsCapacity()
    {
        var keys = new RecentKeys<string>(2);
        Assert.True(keys.TryAdd("a"));
        Assert.False(keys.TryAdd("a"));
        Assert.True(keys.TryAdd("b"));
        Assert.True(keys.TryAdd("c"));
        Assert.True(keys.TryAdd("a"));
    }
}

public sealed class PlainDecimalTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("7100.50")]
    [InlineData("-45.04000000")]
    [InlineData("0.00000001")]
    [InlineData("1234567890123456789")]
    [InlineData("122624.12345678")]
    [InlineData("-0.5")]
    public void FastPathMatchesDecimalParseIncludingScale(string text)
    {
        Assert.True(OpenSqt.Exchanges.Common.VenueJson.TryParsePlainDecimal(System.Text.Encoding.ASCII.GetBytes(text), out var fast));
        var expected = decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, fast);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), fast.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1.2.3")]
    [InlineData("1e5")]
    [InlineData("12345678901234567890")]
    [InlineData("1,5")]
    public void FastPathLeavesEverythingElseToTheGeneralParser(string text)
    {
        Assert.False(OpenSqt.Exchanges.Common.VenueJson.TryParsePlainDecimal(System.Text.Encoding.ASCII.GetBytes(text), out _));
    }
}
