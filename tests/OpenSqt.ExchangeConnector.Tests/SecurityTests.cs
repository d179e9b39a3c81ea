using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>Service authentication, rate limits, TLS and mutual TLS over real sockets.</summary>
public sealed class SecurityTests
{
    private const string KeyOne = "k1-0123456789abcdef0123456789abcdef";
    private const string KeyTwo = "k2-fedcba9876543210fedcba9876543210";

    private static Grpc.Core.Metadata Key(string key) => new() { { "x-api-key", key } };

    [Fact]
    public async Task EveryRpcButHealthNeedsAKnownApiKeyAndTheKeyIsNeverLogged()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await ConnectorHost.StartAsync(
            new Dictionary<string, string?> { ["Auth:ApiKeys:0"] = KeyOne, ["Auth:ApiKeys:1"] = KeyTwo, ["Logging:LogLevel:Default"] = "Information" },
            configureServices: s => s.AddSingleton<ILoggerProvider>(logs));
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);

        var none = await Assert.ThrowsAsync<RpcException>(() => client.GetNameAsync(new W.GetNameRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Contains("x-api-key", none.Status.Detail);
        const string Wrong = "wrong-key-that-must-not-appear-in-logs";
        var wrong = await Assert.ThrowsAsync<RpcException>(() => client.GetNameAsync(new W.GetNameRequest(), Key(Wrong)).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        using var stream = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        var streamRefused = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unauthenticated, streamRefused.StatusCode);

        Assert.Equal("sim", (await client.GetNameAsync(new W.GetNameRequest(), Key(KeyOne))).Name);
        Assert.Equal("sim", (await client.GetNameAsync(new W.GetNameRequest(), Key(KeyTwo))).Name);
        var health = await new Grpc.Health.V1.Health.HealthClient(channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        Assert.Contains(logs.Lines, l => l.Contains("Rejected gRPC call") && l.Contains("unknown API key"));
        Assert.DoesNotContain(Wrong, logs.AllText);
        Assert.DoesNotContain(KeyOne, logs.AllText);
        Assert.DoesNotContain(KeyTwo, logs.AllText);
    }

    [Fact]
    public async Task EachKeyHasItsOwnRateLimit()
    {
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:0"] = KeyOne,
            ["Auth:ApiKeys:1"] = KeyTwo,
            ["Auth:RequestsPerSecond"] = "5",
            ["Auth:Burst"] = "5",
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        var started = DateTime.UtcNow;
        var ok = 0;
        RpcException? limited = null;
        for (var i = 0; i < 40 && limited is null; i++)
        {
            try
            {
                await client.GetNameAsync(new W.GetNameRequest(), Key(KeyOne));
                ok++;
            }
            catch (RpcException ex)
            {
                limited = ex;
            }
        }

        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        Assert.NotNull(limited);
        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
        Assert.Contains("API key #1", limited.Status.Detail);
        Assert.InRange(ok, 5, 5 + (5 * (int)Math.Ceiling(seconds + 1)));

        // The other key's budget is untouched.
        Assert.Equal("sim", (await client.GetNameAsync(new W.GetNameRequest(), Key(KeyTwo))).Name);
    }

    [Fact]
    public async Task RemoteExchangeSendsTheKeyOnEveryCallAndStream()
    {
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Auth:ApiKeys:0"] = KeyOne });
        await using var provider = RemoteClient(new Dictionary<string, string?> { ["RemoteExchange:Address"] = host.GrpcAddress.ToString(), ["RemoteExchange:ApiKey"] = KeyOne });
        var remote = provider.GetRequiredService<RemoteExchange>();
        await remote.ConnectAsync();
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        Assert.Equal(95_000m, await remote.GetLatestPriceAsync("BTCUSDT"));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var prices = remote.SubscribePriceAsync(["BTCUSDT"], cts.Token).GetAsyncEnumerator(cts.Token);
        var next = prices.MoveNextAsync();
        await Eventually.TrueAsync(() => host.Sim.Streams.Active == 1, TimeSpan.FromSeconds(20), "the stream is authorised and subscribed");
        host.Sim.Trade("BTCUSDT", 95_000.5m, 1m);
        Assert.True(await next);
        Assert.Equal(95_000.5m, prices.Current.Price);

        await using var keyless = RemoteClient(new Dictionary<string, string?> { ["RemoteExchange:Address"] = host.GrpcAddress.ToString() });
        var refused = await Assert.ThrowsAsync<ExchangeException>(() => keyless.GetRequiredService<RemoteExchange>().GetLatestPriceAsync("BTCUSDT"));
        Assert.Equal(ExchangeErrorKind.Unauthenticated, refused.Kind);
    }

    [Fact]
    public async Task AConnectorExposedBeyondLoopbackWithoutCredentialsRefusesToStart()
    {
        var port = ConnectorHost.FreePort();
        var exposed = new Dictionary<string, string?> { ["Kestrel:Endpoints:grpc:Url"] = $"http://0.0.0.0:{port}" };
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ConnectorHost.StartAsync(exposed, grpcPort: port));
        Assert.Contains("Refusing to serve gRPC on http://0.0.0.0", ex.Message);
        Assert.Contains("Auth__ApiKeys__0", ex.Message);

        exposed["Auth:AllowInsecure"] = "true";
        await using (await ConnectorHost.StartAsync(exposed, grpcPort: port))
        {
        }

        exposed.Remove("Auth:AllowInsecure");
        exposed["Auth:ApiKeys:0"] = KeyOne;
        await using (await ConnectorHost.StartAsync(exposed, grpcPort: port))
        {
        }
    }

    [Fact]
    public async Task ServerTlsWithAnApiKeyAndMutualTlsWithAClientCertificate()
    {
        using var certificates = TestCertificates.Create();
        var port = ConnectorHost.FreePort();
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"https://127.0.0.1:{port}",
            ["Kestrel:Endpoints:grpc:Certificate:Path"] = certificates.ServerPfxPath,
            ["Kestrel:Endpoints:grpc:Certificate:Password"] = TestCertificates.Password,
            ["Auth:ApiKeys:0"] = KeyOne,
            ["Auth:ClientCaPath"] = certificates.CaPath,
        }, grpcPort: port);
        var address = $"https://127.0.0.1:{port}";

        // Server TLS, caller identified by its API key.
        await using (var byKey = RemoteClient(new Dictionary<string, string?> { ["RemoteExchange:Address"] = address, ["RemoteExchange:ApiKey"] = KeyOne, ["RemoteExchange:TrustedCaPath"] = certificates.CaPath }))
        {
            Assert.Equal("sim", (await byKey.GetRequiredService<W.ExchangeService.ExchangeServiceClient>().GetNameAsync(new W.GetNameRequest())).Name);
        }

        // Mutual TLS, caller identified by its certificate, no key.
        await using (var byCertificate = RemoteClient(new Dictionary<string, string?>
        {
            ["RemoteExchange:Address"] = address,
            ["RemoteExchange:TrustedCaPath"] = certificates.CaPath,
            ["RemoteExchange:ClientCertificatePath"] = certificates.ClientPfxPath,
            ["RemoteExchange:ClientCertificatePassword"] = TestCertificates.Password,
        }))
        {
            var remote = byCertificate.GetRequiredService<RemoteExchange>();
            await remote.ConnectAsync();
            Assert.Equal(5, (await remote.GetSymbolsAsync()).Count);
        }

        // TLS but no credential at all.
        await using (var anonymous = RemoteClient(new Dictionary<string, string?> { ["RemoteExchange:Address"] = address, ["RemoteExchange:TrustedCaPath"] = certificates.CaPath }))
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => anonymous.GetRequiredService<RemoteExchange>().GetSymbolsAsync());
            Assert.Equal(ExchangeErrorKind.Unauthenticated, ex.Kind);
        }

        // A certificate from another CA never gets through the handshake.
        await using (var stranger = RemoteClient(new Dictionary<string, string?>
        {
            ["RemoteExchange:Address"] = address,
            ["RemoteExchange:TrustedCaPath"] = certificates.CaPath,
            ["RemoteExchange:ClientCertificatePath"] = certificates.StrangerPfxPath,
            ["RemoteExchange:ClientCertificatePassword"] = TestCertificates.Password,
        }))
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => stranger.GetRequiredService<RemoteExchange>().GetSymbolsAsync());
            Assert.NotEqual(ExchangeErrorKind.NotFound, ex.Kind);
        }

        // A client that does not trust the server's CA refuses the server.
        using var untrusting = GrpcChannel.ForAddress(address);
        var untrusted = await Assert.ThrowsAsync<RpcException>(() => new W.ExchangeService.ExchangeServiceClient(untrusting).GetNameAsync(new W.GetNameRequest(), Key(KeyOne)).ResponseAsync);
        Assert.Contains(untrusted.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Contains("SSL", untrusted.Status.DebugException?.ToString());
    }

    private static ServiceProvider RemoteClient(Dictionary<string, string?> settings)
    {
        settings["RemoteExchange:MaxConnectAttempts"] = "2";
        settings["RemoteExchange:InitialBackoff"] = "00:00:00.050";
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddRemoteExchange();
        return services.BuildServiceProvider();
    }
}
