using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

public static class GateServiceCollectionExtensions
{
    /// <summary>Registers <see cref="GateExchange"/> as the process's <see cref="IExchange"/>, with its options validated at start.</summary>
    public static IServiceCollection AddGate(this IServiceCollection services)
    {
        services.AddOptions<GateOptions>()
            .BindConfiguration(GateOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<GateCredentialsCheck>()
            .Validate<VenueCredentials>(static (_, credentials) => !string.IsNullOrEmpty(credentials.ApiKey) && !string.IsNullOrEmpty(credentials.ApiSecret),
                "EXCHANGE=gate needs API_KEY and API_SECRET")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<VenueMetrics>(sp => new VenueMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton(sp => new GateExchange(
            sp.GetRequiredService<IOptions<GateOptions>>(),
            sp.GetRequiredService<VenueCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<VenueMetrics>()));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<GateExchange>());
        return services;
    }

    /// <summary>Options marker so the credential check runs with ValidateOnStart.</summary>
    internal sealed class GateCredentialsCheck;
}
