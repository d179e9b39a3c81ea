using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

public static class BitgetServiceCollectionExtensions
{
    /// <summary>Registers <see cref="BitgetExchange"/> as the process's <see cref="IExchange"/>, with its options validated at start.</summary>
    public static IServiceCollection AddBitget(this IServiceCollection services)
    {
        services.AddOptions<BitgetOptions>()
            .BindConfiguration(BitgetOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<BitgetCredentialsCheck>()
            .Validate<VenueCredentials>(static (_, credentials) => !string.IsNullOrEmpty(credentials.ApiKey) && !string.IsNullOrEmpty(credentials.ApiSecret) && !string.IsNullOrEmpty(credentials.Passphrase),
                "EXCHANGE=bitget needs API_KEY, API_SECRET and PASSPHRASE")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<VenueMetrics>(sp => new VenueMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new BitgetExchange(
            sp.GetRequiredService<IOptions<BitgetOptions>>(),
            sp.GetRequiredService<VenueCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<VenueMetrics>()));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<BitgetExchange>());
        return services;
    }

    /// <summary>Options marker so the credential check runs with ValidateOnStart.</summary>
    internal sealed class BitgetCredentialsCheck;
}
