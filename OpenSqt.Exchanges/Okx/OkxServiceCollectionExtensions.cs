using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

public static class OkxServiceCollectionExtensions
{
    /// <summary>Registers <see cref="OkxExchange"/> as the process's <see cref="IExchange"/>, with its options validated at start.</summary>
    public static IServiceCollection AddOkx(this IServiceCollection services)
    {
        services.AddOptions<OkxOptions>()
            .BindConfiguration(OkxOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<OkxCredentialsCheck>()
            .Validate<VenueCredentials>(static (_, c) => !string.IsNullOrEmpty(c.ApiKey) && !string.IsNullOrEmpty(c.ApiSecret) && !string.IsNullOrEmpty(c.Passphrase),
                "EXCHANGE=okx needs API_KEY, API_SECRET and PASSPHRASE")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<VenueMetrics>(sp => new VenueMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new OkxExchange(
            sp.GetRequiredService<IOptions<OkxOptions>>(),
            sp.GetRequiredService<VenueCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<VenueMetrics>()));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<OkxExchange>());
        return services;
    }

    /// <summary>Options marker so the credential check runs with ValidateOnStart.</summary>
    internal sealed class OkxCredentialsCheck;
}
