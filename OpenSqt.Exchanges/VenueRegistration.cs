using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Exchanges;

/// <summary>The credentials of the one venue the connector trades on. Never logged, never sent anywhere but the venue.</summary>
internal sealed record VenueCredentials(string? ApiKey, string? ApiSecret, string? Passphrase)
{
    public bool IsEmpty => string.IsNullOrEmpty(ApiKey) && string.IsNullOrEmpty(ApiSecret);

    /// <summary>What a venue misses to sign (<c>EXCHANGE=okx needs API_KEY, API_SECRET and PASSPHRASE</c>), or null when nothing is missing.</summary>
    public string? MissingFor(string venue, bool needsPassphrase) =>
        string.IsNullOrEmpty(ApiKey) || string.IsNullOrEmpty(ApiSecret) || (needsPassphrase && string.IsNullOrEmpty(Passphrase))
            ? needsPassphrase ? $"{ExchangeKeyName}={venue} needs API_KEY, API_SECRET and PASSPHRASE" : $"{ExchangeKeyName}={venue} needs API_KEY and API_SECRET"
            : null;

    private const string ExchangeKeyName = "EXCHANGE";

    /// <summary>Never prints the values.</summary>
    public override string ToString() => $"VenueCredentials(ApiKey: {(string.IsNullOrEmpty(ApiKey) ? "unset" : "set")}, ApiSecret: {(string.IsNullOrEmpty(ApiSecret) ? "unset" : "set")})";
}

public static class VenueRegistration
{
    /// <summary>The configuration key that picks the venue (environment variable <c>EXCHANGE</c>).</summary>
    public const string ExchangeKey = "EXCHANGE";

    /// <summary>Venues this build can trade on.</summary>
    public static IReadOnlyList<string> Supported { get; } = [SimExchange.VenueName, BinanceExchange.VenueName, BitgetExchange.VenueName, BybitExchange.VenueName, GateExchange.VenueName, OkxExchange.VenueName];

    /// <summary>
    /// Registers the venue named by <c>EXCHANGE</c> (default <c>sim</c>) as the process's <see cref="IExchange"/>.
    /// An unknown name stops the service at start with the key and the allowed values.
    /// </summary>
    public static IServiceCollection AddVenue(this IServiceCollection services, IConfiguration configuration)
    {
        var venue = (configuration[ExchangeKey] ?? SimExchange.VenueName).Trim().ToLowerInvariant();
        if (!Supported.Contains(venue))
        {
            throw new OptionsValidationException(ExchangeKey, typeof(string),
                [$"{ExchangeKey}='{configuration[ExchangeKey]}' is not a supported venue; allowed values: {string.Join(", ", Supported)}"]);
        }

        services.AddSingleton(new VenueCredentials(configuration["API_KEY"], configuration["API_SECRET"], configuration["PASSPHRASE"]));
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }

        switch (venue)
        {
            case SimExchange.VenueName:
                services.AddOptions<SimVenueOptions>()
                    .BindConfiguration(SimVenueOptions.SectionName)
                    .ValidateDataAnnotations()
                    .ValidateOnStart();
                services.AddSingleton<SimExchange>();
                services.AddSingleton<IExchange>(sp => sp.GetRequiredService<SimExchange>());
                services.AddHostedService<SimMarketService>();
                break;
            case BinanceExchange.VenueName:
                services.AddVenue<BinanceExchange, BinanceOptions>(BinanceExchange.VenueName, BinanceOptions.SectionName, needsPassphrase: false, static (options, credentials, time, loggers, metrics) => new BinanceExchange(options, credentials, time, loggers, metrics));
                break;
            case BybitExchange.VenueName:
                services.AddVenue<BybitExchange, BybitOptions>(BybitExchange.VenueName, BybitOptions.SectionName, needsPassphrase: false, static (options, credentials, time, loggers, metrics) => new BybitExchange(options, credentials, time, loggers, metrics));
                break;
            case OkxExchange.VenueName:
                services.AddVenue<OkxExchange, OkxOptions>(OkxExchange.VenueName, OkxOptions.SectionName, needsPassphrase: true, static (options, credentials, time, loggers, metrics) => new OkxExchange(options, credentials, time, loggers, metrics));
                break;
            case BitgetExchange.VenueName:
                services.AddVenue<BitgetExchange, BitgetOptions>(BitgetExchange.VenueName, BitgetOptions.SectionName, needsPassphrase: true, static (options, credentials, time, loggers, metrics) => new BitgetExchange(options, credentials, time, loggers, metrics));
                break;
            case GateExchange.VenueName:
                services.AddVenue<GateExchange, GateOptions>(GateExchange.VenueName, GateOptions.SectionName, needsPassphrase: false, static (options, credentials, time, loggers, metrics) => new GateExchange(options, credentials, time, loggers, metrics));
                break;
        }

        return services;
    }
}

/// <summary>Runs the sim's price process for the lifetime of the host.</summary>
internal sealed class SimMarketService(SimExchange sim) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        sim.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => sim.StopMarketAsync();
}
