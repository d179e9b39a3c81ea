using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

public sealed class GateRegistrationTests
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
    public async Task GateIsSupportedAndDefaultsToProductionUrls()
    {
        Assert.Contains("gate", VenueRegistration.Supported);
        await using var sp = Build(new() { ["EXCHANGE"] = "gate", ["API_KEY"] = "k", ["API_SECRET"] = "s" });
        sp.GetRequiredService<IStartupValidator>().Validate();
        var options = sp.GetRequiredService<IOptions<GateOptions>>().Value;
        Assert.Equal("https://api.gateio.ws/api/v4", options.RestBaseUrl);
        Assert.Equal("wss://fx-ws.gateio.ws/v4/ws/usdt", options.WsBaseUrl);
        Assert.IsType<GateExchange>(sp.GetRequiredService<IExchange>());
    }

    [Fact]
    public void MissingCredentialsStopTheServiceNamingTheKeys()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "gate" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadPingIntervalStopsTheServiceNamingTheKey()
    {
        using var sp = Build(new() { ["EXCHANGE"] = "gate", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["Exchanges:Gate:PingInterval"] = "00:05:00" });
        var ex = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("PingInterval", ex.Message, StringComparison.Ordinal);
    }
}
