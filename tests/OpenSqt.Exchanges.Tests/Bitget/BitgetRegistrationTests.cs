using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

public sealed class BitgetRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddVenue(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task BitgetIsSupportedAndDefaultsToProductionUrls()
    {
        Assert.Contains("bitget", VenueRegistration.Supported);
        await using var sp = Build(new() { ["EXCHANGE"] = "bitget", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["PASSPHRASE"] = "p" });
        sp.GetRequiredService<IStartupValidator>().Validate();
        var options = sp.GetRequiredService<IOptions<BitgetOptions>>().Value;
        Assert.Equal("https://api.bitget.com", options.RestBaseUrl);
        Assert.Equal("wss://ws.bitget.com/v2/ws/public", options.WsBaseUrl);
        Assert.Equal("wss://ws.bitget.com/v2/ws/private", options.WsPrivateUrl);
        Assert.IsType<BitgetExchange>(sp.GetRequiredService<IExchange>());
    }

    [Fact]
    public void MissingCredentialsStopTheServiceNamingTheKeys()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "bitget" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingPassphraseStopsTheServiceNamingIt()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "bitget", ["API_KEY"] = "k", ["API_SECRET"] = "s" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("PASSPHRASE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPrivateUrlStopsTheServiceNamingTheKey()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "bitget", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["PASSPHRASE"] = "p", ["Exchanges:Bitget:WsPrivateUrl"] = "http://127.0.0.1:1" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Exchanges:Bitget:WsPrivateUrl", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPingIntervalStopsTheServiceNamingTheKey()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "bitget", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["PASSPHRASE"] = "p", ["Exchanges:Bitget:PingInterval"] = "00:05:00" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("PingInterval", ex.Message, StringComparison.Ordinal);
    }
}
