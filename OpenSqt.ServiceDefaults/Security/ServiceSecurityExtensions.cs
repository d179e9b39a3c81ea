using System.Security.Cryptography.X509Certificates;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OpenSqt.ServiceDefaults.Security;

public static class ServiceSecurityExtensions
{
    /// <summary>
    /// Protects the service's gRPC endpoint: API keys (<c>Auth:ApiKeys</c>) or mutual TLS (<c>Auth:ClientCaPath</c>, with the
    /// endpoint's certificate from Kestrel configuration), one rate limit per caller, and a refusal to start on a
    /// non-loopback cleartext endpoint without credentials unless <c>Auth:AllowInsecure</c> is set.
    /// Call after the endpoints are configured.
    /// </summary>
    public static WebApplicationBuilder AddServiceAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ServiceAuthenticationOptions>()
            .BindConfiguration(ServiceAuthenticationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<ApiKeyServerInterceptor>();
        builder.Services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<ApiKeyServerInterceptor>());

        var options = builder.Configuration.GetSection(ServiceAuthenticationOptions.SectionName).Get<ServiceAuthenticationOptions>() ?? new();
        if (!string.IsNullOrWhiteSpace(options.ClientCaPath))
        {
            var ca = LoadCertificate(options.ClientCaPath, "Auth:ClientCaPath");
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
            {
                // Either a client certificate or an API key: certificates are allowed, and checked when presented.
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                https.ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, ca);
            }));
        }

        RefuseInsecureExposure(builder.Configuration, options);
        return builder;
    }

    /// <summary>Whether a certificate chains to the given CA (and nothing else).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public static X509Certificate2 LoadCertificate(string path, string key)
    {
        if (!File.Exists(path))
        {
            throw new OptionsValidationException(key, typeof(string), [$"{key}='{path}': the file does not exist"]);
        }

        return X509CertificateLoader.LoadCertificateFromFile(path);
    }

    /// <summary>
    /// A gRPC endpoint reachable from other hosts, in cleartext, without credentials, would let anyone on the network trade.
    /// </summary>
    private static void RefuseInsecureExposure(IConfiguration configuration, ServiceAuthenticationOptions options)
    {
        if (options.RequiresCredentials || options.AllowInsecure)
        {
            return;
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var url = endpoint["Url"];
            var protocols = endpoint["Protocols"] ?? "";
            var carriesGrpc = endpoint.Key == "grpc" || protocols.Contains("Http2", StringComparison.OrdinalIgnoreCase);
            if (url is null || !carriesGrpc || !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || IsLoopback(url))
            {
                continue;
            }

            throw new OptionsValidationException(ServiceAuthenticationOptions.SectionName, typeof(ServiceAuthenticationOptions),
            [
                $"Refusing to serve gRPC on {url} (endpoint '{endpoint.Key}') without authentication or TLS. " +
                "Set Auth__ApiKeys__0 (clients send it as x-api-key), or serve https with Auth__ClientCaPath for mutual TLS, " +
                "or bind to loopback; Auth__AllowInsecure=true accepts the risk explicitly.",
            ]);
        }
    }

    private static bool IsLoopback(string url)
    {
        var host = url["http://".Length..];
        var end = host.IndexOfAny([':', '/']);
        if (host.StartsWith('['))
        {
            end = host.IndexOf(']') + 1;
        }

        host = end > 0 ? host[..end] : host;
        return host is "localhost" or "[::1]" || host.StartsWith("127.", StringComparison.Ordinal);
    }
}
