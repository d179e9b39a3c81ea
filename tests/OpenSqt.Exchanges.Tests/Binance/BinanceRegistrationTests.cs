using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

public sealed class BinanceRegistrationTests
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
    public async Task BinanceIsSupportedAndDefaultsToProductionUrls()
    {
        Assert.Contains("binance", VenueRegistration.Supported);
        await using var sp = Build(new() { ["EXCHANGE"] = "binance", ["API_KEY"] = "k", ["API_SECRET"] = "s" });
        sp.GetRequiredService<IStartupValidator>().Validate();
        var options = sp.GetRequiredService<IOptions<BinanceOptions>>().Value;
        Assert.Equal("https://fapi.binance.com", options.RestBaseUrl);
        Assert.Equal("wss://fstream.binance.com", options.WsBaseUrl);
        Assert.IsType<BinanceExchange>(sp.GetRequiredService<IExchange>());
    }

    [Fact]
    public void MissingCredentialsStopTheServiceNamingTheKeys()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "binance" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadBaseUrlStopsTheServiceNamingTheKey()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "binance", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["Exchanges:Binance:WsBaseUrl"] = "http://127.0.0.1:1" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Exchanges:Binance:WsBaseUrl", ex.Message, StringComparison.Ordinal);
    }
}
