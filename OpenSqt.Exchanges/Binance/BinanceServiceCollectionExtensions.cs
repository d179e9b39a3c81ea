using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

public static class BinanceServiceCollectionExtensions
{
    /// <summary>Registers <see cref="BinanceExchange"/> as the process's <see cref="IExchange"/>, with its options validated at start.</summary>
    public static IServiceCollection AddBinance(this IServiceCollection services)
    {
        services.AddOptions<BinanceOptions>()
            .BindConfiguration(BinanceOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<BinanceCredentialsCheck>()
            .Validate<VenueCredentials>(static (_, credentials) => !string.IsNullOrEmpty(credentials.ApiKey) && !string.IsNullOrEmpty(credentials.ApiSecret),
                "EXCHANGE=binance needs API_KEY and API_SECRET")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<VenueMetrics>(sp => new VenueMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new BinanceExchange(
            sp.GetRequiredService<IOptions<BinanceOptions>>(),
            sp.GetRequiredService<VenueCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<VenueMetrics>()));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<BinanceExchange>());
        return services;
    }

    /// <summary>Options marker so the credential check runs with ValidateOnStart.</summary>
    internal sealed class BinanceCredentialsCheck;
}
