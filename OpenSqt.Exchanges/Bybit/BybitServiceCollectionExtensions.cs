using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

public static class BybitServiceCollectionExtensions
{
    /// <summary>Registers <see cref="BybitExchange"/> as the process's <see cref="IExchange"/>, with its options validated at start.</summary>
    public static IServiceCollection AddBybit(this IServiceCollection services)
    {
        services.AddOptions<BybitOptions>()
            .BindConfiguration(BybitOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<BybitCredentialsCheck>()
            .Validate<VenueCredentials>(static (_, credentials) => !string.IsNullOrEmpty(credentials.ApiKey) && !string.IsNullOrEmpty(credentials.ApiSecret),
                "EXCHANGE=bybit needs API_KEY and API_SECRET")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<VenueMetrics>(sp => new VenueMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new BybitExchange(
            sp.GetRequiredService<IOptions<BybitOptions>>(),
            sp.GetRequiredService<VenueCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<VenueMetrics>()));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<BybitExchange>());
        return services;
    }

    /// <summary>Options marker so the credential check runs with ValidateOnStart.</summary>
    internal sealed class BybitCredentialsCheck;
}
