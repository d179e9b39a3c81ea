using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

internal static class VenueServiceCollectionExtensions
{
    /// <summary>
    /// Registers one native venue as the process's <see cref="IExchange"/>: its options bound from
    /// <paramref name="section"/> and validated at start, the credentials it signs with checked at start (a missing one
    /// stops the service naming the keys), the venue metrics, and the venue itself as a singleton.
    /// </summary>
    public static IServiceCollection AddVenue<TExchange, TOptions>(this IServiceCollection services, string venue, string section, bool needsPassphrase,
        Func<IOptions<TOptions>, VenueCredentials, TimeProvider, ILoggerFactory?, VenueMetrics, TExchange> create)
        where TExchange : class, IExchange
        where TOptions : VenueOptions
    {
        services.AddOptions<TOptions>()
            .BindConfiguration(section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(sp => new RenamedKeysCheck<TOptions>(sp.GetRequiredService<IConfiguration>(), section));
        services.AddOptions<CredentialsCheck<TExchange>>()
            .Validate<VenueCredentials>((_, credentials) => credentials.MissingFor(venue, needsPassphrase) is null,
                new VenueCredentials(null, null, null).MissingFor(venue, needsPassphrase)!)
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton(sp => new VenueMetrics(sp.GetService<IMeterFactory>()));
        services.AddSingleton(sp => create(
            sp.GetRequiredService<IOptions<TOptions>>(),
            sp.GetRequiredService<VenueCredentials>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<VenueMetrics>()));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<TExchange>());
        return services;
    }

    /// <summary>
    /// Refuses at start a configuration that still sets a renamed key of the venue's section
    /// (<see cref="VenueOptions.RenamedKeys"/>), naming the new key: binding alone would ignore it silently.
    /// </summary>
    internal sealed class RenamedKeysCheck<TOptions>(IConfiguration configuration, string section) : IValidateOptions<TOptions>
        where TOptions : VenueOptions
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var values = configuration.GetSection(section);
            var failures = options.RenamedKeys
                .Where(renamed => values[renamed.Key] is not null)
                .Select(renamed => $"{section}:{renamed.Key} was renamed {section}:{renamed.Value}; set {section}:{renamed.Value} instead")
                .ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    /// <summary>Options marker so the credential check of a venue runs with ValidateOnStart.</summary>
    internal sealed class CredentialsCheck<TExchange>;
}
