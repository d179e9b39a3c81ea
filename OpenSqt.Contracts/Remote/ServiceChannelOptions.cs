using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OpenSqt.Contracts.Remote;

/// <summary>The credentials a client presents to an OpenSqt gRPC service (the connector or the engine).</summary>
public class ServiceChannelOptions
{
    /// <summary>Sent as <c>x-api-key</c> metadata on every call and stream. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>PKCS#12 file with the client certificate and key, for mutual TLS.</summary>
    public string? ClientCertificatePath { get; set; }

    public string? ClientCertificatePassword { get; set; }

    /// <summary>PEM or DER file of the CA that signed the service's certificate, when it is not publicly trusted.</summary>
    public string? TrustedCaPath { get; set; }
}

/// <summary>Adds the API key to every outgoing call.</summary>
public sealed class ApiKeyClientInterceptor(string apiKey) : Interceptor
{
    public const string Header = "x-api-key";

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, WithKey(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithKey(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(WithKey(context));

    private ClientInterceptorContext<TRequest, TResponse> WithKey<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        var headers = context.Options.Headers ?? [];
        headers.Add(Header, apiKey);
        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers));
    }
}

public static class ServiceChannelExtensions
{
    /// <summary>
    /// Makes a gRPC client present the configured credentials: the API key on every call and stream, and for https
    /// addresses the client certificate and the trusted CA.
    /// </summary>
    public static IHttpClientBuilder AddServiceCredentials<TOptions>(this IHttpClientBuilder builder)
        where TOptions : ServiceChannelOptions
    {
        builder.AddInterceptor(sp => sp.GetRequiredService<IOptions<TOptions>>().Value.ApiKey is { Length: > 0 } key
            ? new ApiKeyClientInterceptor(key)
            : new PassThroughInterceptor());
        builder.ConfigurePrimaryHttpMessageHandler(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TOptions>>().Value;
            var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
            if (!string.IsNullOrWhiteSpace(options.ClientCertificatePath))
            {
                handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12FromFile(options.ClientCertificatePath, options.ClientCertificatePassword)];
            }

            if (!string.IsNullOrWhiteSpace(options.TrustedCaPath))
            {
                var ca = X509CertificateLoader.LoadCertificateFromFile(options.TrustedCaPath);
                handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    errors == SslPolicyErrors.None || (certificate is not null && ChainsTo(new X509Certificate2(certificate), ca) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0);
            }

            return handler;
        });
        return builder;
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private sealed class PassThroughInterceptor : Interceptor;
}
