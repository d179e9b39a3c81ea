using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;
using OpenSqt.Exchanges.Okx;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>
/// The timings every venue shares live once in <see cref="VenueOptions"/>; each venue keeps its own default and bound,
/// checked at start with the full key and the allowed range in the message, and a renamed key stops the start naming
/// the new one.
/// </summary>
public sealed class VenueOptionsTests
{
    public static TheoryData<string, string, string, string> BoundsBeyondTheVenueRange => new()
    {
        { "binance", "Exchanges:Binance:PingInterval", "00:10:01", "between 00:00:01 and 00:10:00" },
        { "bybit", "Exchanges:Bybit:PingInterval", "00:05:01", "between 00:00:01 and 00:05:00" },
        { "okx", "Exchanges:Okx:PingInterval", "00:00:30", "between 00:00:01 and 00:00:29" },
        { "bitget", "Exchanges:Bitget:PingInterval", "00:01:01", "between 00:00:01 and 00:01:00" },
        { "gate", "Exchanges:Gate:PingInterval", "00:01:01", "between 00:00:01 and 00:01:00" },
        { "binance", "Exchanges:Binance:NoDataTimeout", "01:00:01", "between 00:00:01 and 01:00:00" },
        { "bybit", "Exchanges:Bybit:NoDataTimeout", "00:00:01", "between 00:00:02 and 00:10:00" },
        { "okx", "Exchanges:Okx:NoDataTimeout", "00:10:01", "between 00:00:02 and 00:10:00" },
        { "bitget", "Exchanges:Bitget:NoDataTimeout", "00:00:01", "between 00:00:02 and 00:10:00" },
        { "gate", "Exchanges:Gate:NoDataTimeout", "00:10:01", "between 00:00:02 and 00:10:00" },
        { "binance", "Exchanges:Binance:AccountRefreshInterval", "00:10:01", "between 00:00:00 and 00:10:00" },
        { "bybit", "Exchanges:Bybit:AccountRefreshInterval", "00:10:01", "between 00:00:00 and 00:10:00" },
        { "bitget", "Exchanges:Bitget:AccountRefreshInterval", "00:00:00.100", "between 00:00:00.2000000 and 01:00:00" },
        { "gate", "Exchanges:Gate:AccountRefreshInterval", "00:10:01", "between 00:00:00 and 00:10:00" },
        { "gate", "Exchanges:Gate:ExchangeInfoCacheDuration", "1.00:00:01", "between 00:00:00 and 1.00:00:00" },
    };

    public static TheoryData<string, string, string> BoundsAtTheVenueLimit => new()
    {
        { "binance", "Exchanges:Binance:PingInterval", "00:10:00" },
        { "bybit", "Exchanges:Bybit:PingInterval", "00:05:00" },
        { "okx", "Exchanges:Okx:PingInterval", "00:00:29" },
        { "bitget", "Exchanges:Bitget:PingInterval", "00:01:00" },
        { "gate", "Exchanges:Gate:PingInterval", "00:01:00" },
        { "binance", "Exchanges:Binance:NoDataTimeout", "01:00:00" },
        { "bitget", "Exchanges:Bitget:AccountRefreshInterval", "00:00:00.200" },
    };

    [Theory]
    [MemberData(nameof(BoundsBeyondTheVenueRange))]
    public void ATimingBeyondTheVenuesBoundStopsTheStartNamingTheKeyAndTheRange(string venue, string key, string value, string range)
    {
        using var sp = Build(venue, new() { [key] = value });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains(range, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BoundsAtTheVenueLimit))]
    public void ATimingAtTheVenuesBoundStarts(string venue, string key, string value)
    {
        using var sp = Build(venue, new() { [key] = value });
        sp.GetRequiredService<IStartupValidator>().Validate();
        var options = Options(sp, venue);
        var setting = key[(key.LastIndexOf(':') + 1)..];
        Assert.Equal(TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture), (TimeSpan)typeof(VenueOptions).GetProperty(setting)!.GetValue(options)!);
    }

    [Fact]
    public void EachVenueKeepsItsOwnDefaults()
    {
        var binance = new BinanceOptions();
        var bybit = new BybitOptions();
        var okx = new OkxOptions();
        var bitget = new BitgetOptions();
        var gate = new GateOptions();
        Assert.Equal([30, 20, 20, 25, 10], new VenueOptions[] { binance, bybit, okx, bitget, gate }.Select(o => o.PingInterval.TotalSeconds));
        Assert.Equal([60, 60, 45, 75, 45], new VenueOptions[] { binance, bybit, okx, bitget, gate }.Select(o => o.NoDataTimeout.TotalSeconds));
        Assert.Equal([2, 5, 0, 1, 1], new VenueOptions[] { binance, bybit, okx, bitget, gate }.Select(o => o.AccountRefreshInterval.TotalSeconds));
        Assert.All(new VenueOptions[] { binance, bybit, okx, bitget, gate }, o => Assert.Equal(TimeSpan.FromMinutes(5), o.ExchangeInfoCacheDuration));
    }

    [Fact]
    public void AnAccountRefreshIntervalForOkxWhichMakesNoRestRefreshStopsTheStart()
    {
        using var sp = Build("okx", new() { ["Exchanges:Okx:AccountRefreshInterval"] = "00:00:05" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Exchanges:Okx:AccountRefreshInterval is not used", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bitget", "Exchanges:Bitget:ContractsCacheDuration", "Exchanges:Bitget:ExchangeInfoCacheDuration")]
    [InlineData("gate", "Exchanges:Gate:ContractsCacheDuration", "Exchanges:Gate:ExchangeInfoCacheDuration")]
    [InlineData("binance", "Exchanges:Binance:MarketNoDataTimeout", "Exchanges:Binance:NoDataTimeout")]
    public void ARenamedKeyStopsTheStartNamingTheNewKey(string venue, string oldKey, string newKey)
    {
        using var sp = Build(venue, new() { [oldKey] = "00:01:00" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains($"{oldKey} was renamed {newKey}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSharedCacheDurationIsReadFromItsOneKey()
    {
        using var sp = Build("gate", new() { ["Exchanges:Gate:ExchangeInfoCacheDuration"] = "00:01:00" });
        sp.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(TimeSpan.FromMinutes(1), sp.GetRequiredService<IOptions<GateOptions>>().Value.ExchangeInfoCacheDuration);
    }

    private static VenueOptions Options(IServiceProvider sp, string venue) => venue switch
    {
        "binance" => sp.GetRequiredService<IOptions<BinanceOptions>>().Value,
        "bybit" => sp.GetRequiredService<IOptions<BybitOptions>>().Value,
        "okx" => sp.GetRequiredService<IOptions<OkxOptions>>().Value,
        "bitget" => sp.GetRequiredService<IOptions<BitgetOptions>>().Value,
        "gate" => sp.GetRequiredService<IOptions<GateOptions>>().Value,
        _ => throw new ArgumentOutOfRangeException(nameof(venue), venue, null),
    };

    private static ServiceProvider Build(string venue, Dictionary<string, string?> settings)
    {
        settings["EXCHANGE"] = venue;
        settings["API_KEY"] = "k";
        settings["API_SECRET"] = "s";
        settings["PASSPHRASE"] = "p";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddVenue(configuration);
        return services.BuildServiceProvider();
    }
}
