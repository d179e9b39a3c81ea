using Grpc.Health.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Remote;

public static class RemoteExchangeServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RemoteExchange"/> as the process's <see cref="IExchange"/>: gRPC clients from the client
    /// factory, addressed through service discovery (<c>http://_grpc.connector</c> by default), without the generic HTTP
    /// resilience handler (it would re-send orders; this client decides itself what is safe to retry).
    /// </summary>
    public static IServiceCollection AddRemoteExchange(this IServiceCollection services)
    {
        services.AddOptions<RemoteExchangeOptions>()
            .BindConfiguration(RemoteExchangeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddTimeProvider();

        // The standard resilience handler (added to every HttpClient by the service defaults) retries on transport
        // errors, which for a place-order call means a blind re-send. RemoveAllResilienceHandlers is marked experimental.
#pragma warning disable EXTEXP0001
        // The client factory's logging handlers open a log scope and write two Information lines per call; on the order
        // path that is work on every order's way out, and gRPC's own client logging and the connector's metrics already
        // say what each call did.
        services.AddGrpcClient<W.ExchangeService.ExchangeServiceClient>((sp, o) =>
                o.Address = new Uri(sp.GetRequiredService<IOptions<RemoteExchangeOptions>>().Value.Address))
            .AddServiceCredentials<RemoteExchangeOptions>()
            .RemoveAllResilienceHandlers()
            .RemoveAllLoggers();
        services.AddGrpcClient<Health.HealthClient>((sp, o) =>
                o.Address = new Uri(sp.GetRequiredService<IOptions<RemoteExchangeOptions>>().Value.Address))
            .AddServiceCredentials<RemoteExchangeOptions>()
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.AddSingleton(sp => new RemoteExchange(
            sp.GetRequiredService<W.ExchangeService.ExchangeServiceClient>(),
            sp.GetRequiredService<Health.HealthClient>(),
            sp.GetRequiredService<IOptions<RemoteExchangeOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RemoteExchange>>(),
            DescribeDiscovery(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<RemoteExchangeOptions>>().Value.Address)));
        services.AddSingleton<IExchange>(sp => sp.GetRequiredService<RemoteExchange>());
        return services;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    /// <summary>For error messages: what service discovery would resolve the address to, from configuration.</summary>
    private static string? DescribeDiscovery(IConfiguration configuration, string address)
    {
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            return null;
        }

        var host = uri.Host;
        var endpoint = "http";
        if (host.StartsWith('_') && host.Contains('.'))
        {
            endpoint = host[1..host.IndexOf('.')];
            host = host[(host.IndexOf('.') + 1)..];
        }

        var key = $"services:{host}:{endpoint}:0";
        var value = configuration[key];
        return value is null ? $"{key.Replace(":", "__")} is not set" : $"{key.Replace(":", "__")}={value}";
    }
}
