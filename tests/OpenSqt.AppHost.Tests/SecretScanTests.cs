using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.AppHost.Tests;

/// <summary>
/// Runs the whole system with known fake exchange credentials and service key, captures every log line of every
/// resource and every OTLP export (traces, metrics, logs) of every service, and finds none of the secret values.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SecretScanTests
{
    private static readonly string[] Secrets =
    [
        "FAKEEXCHANGEKEY7f3a9c21d84b",
        "FAKEEXCHANGESECRET0e5d2b7c9a1f4e63",
        "FAKEPASSPHRASE4c8e1a",
        "FAKESERVICEKEY2b9d7e5f3a1c8e6d4b2a",
    ];

    [Fact]
    public async Task NoSecretAppearsInAnyLogOrTelemetryExport()
    {
        using var timeout = new CancellationTokenSource(AppHostFixture.StartTimeout);
        await using var otlp = await OtlpCapture.StartAsync();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpenSqt_AppHost>(timeout.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.Configuration[$"Parameters:{ResourceNames.ApiKeyParameter}"] = Secrets[0];
        builder.Configuration[$"Parameters:{ResourceNames.ApiSecretParameter}"] = Secrets[1];
        builder.Configuration[$"Parameters:{ResourceNames.PassphraseParameter}"] = Secrets[2];
        builder.Configuration[$"Parameters:{ResourceNames.ServiceApiKeyParameter}"] = Secrets[3];
        foreach (var name in new[] { ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer })
        {
            builder.CreateResourceBuilder<ProjectResource>(name)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.Address)
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_SERVICE_NAME", name)
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "1000")
                .WithEnvironment("OTEL_BLRP_SCHEDULE_DELAY", "200")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "200")
                .WithEnvironment("Logging__LogLevel__Default", "Debug");
        }

        await using var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        var logs = new ConcurrentQueue<string>();
        var loggerService = app.Services.GetRequiredService<ResourceLoggerService>();
        var resources = new[] { ResourceNames.Cache, ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer };
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        using var stopWatching = new CancellationTokenSource();
        var watchers = resources.Select(name => Task.Run(async () =>
        {
            try
            {
                var resource = model.Resources.Single(r => r.Name == name);
                await foreach (var batch in loggerService.WatchAsync(resource).WithCancellation(stopWatching.Token))
                {
                    foreach (var line in batch)
                    {
                        logs.Enqueue($"{name}: {line.Content}");
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        foreach (var name in resources)
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
        }

        // Traffic that makes every service log and trace: good calls, a refused call, an order.
        using var channel = GrpcChannel.ForAddress(app.GetEndpoint(ResourceNames.Connector, ResourceNames.GrpcEndpoint));
        var client = new W.ExchangeService.ExchangeServiceClient(channel);
        var key = new Grpc.Core.Metadata { { "x-api-key", Secrets[3] } };
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.GetNameAsync(new W.GetNameRequest(), new Grpc.Core.Metadata { { "x-api-key", "not-the-key-but-long-enough" } }).ResponseAsync);
        await client.GetNameAsync(new W.GetNameRequest(), key);
        var price = Contracts.WireMapper.ParseDecimal((await client.GetLatestPriceAsync(new W.GetLatestPriceRequest { Symbol = "ETHUSDT" }, key)).Price.Value);
        await client.PlaceOrderAsync(new W.PlaceOrderRequest
        {
            Symbol = "ETHUSDT", Side = W.OrderSide.Buy, Type = W.OrderType.Limit, TimeInForce = W.TimeInForce.Gtc,
            Price = new Google.Type.Decimal { Value = Math.Round(price * 0.7m, 2).ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Quantity = new Google.Type.Decimal { Value = "0.01" },
        }, key);
        foreach (var name in new[] { ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer })
        {
            using var http = app.CreateHttpClient(name, ResourceNames.HttpEndpoint);
            await http.GetStringAsync("/health");
        }

        // Every service must have exported every signal before the scan means anything.
        foreach (var name in new[] { ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer })
        {
            foreach (var signal in new[] { "/v1/metrics", "/v1/logs", "/v1/traces" })
            {
                await otlp.WaitForAsync(signal, name, timeout.Token);
            }
        }

        // Console lines reach the AppHost a little after they are written: wait for the refusal logged above.
        while (!logs.Any(l => l.StartsWith("connector:", StringComparison.Ordinal) && l.Contains("Rejected gRPC call")))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
        }

        await stopWatching.CancelAsync();
        await Task.WhenAll(watchers);
        Assert.Contains(logs, l => l.StartsWith("marketmaker:", StringComparison.Ordinal));
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(logs, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.False(otlp.Contains(secret), $"a telemetry export carried the secret {secret[..8]}...");
        }
    }

    /// <summary>A minimal OTLP/HTTP receiver on loopback that keeps every request body.</summary>
    private sealed class OtlpCapture : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, byte[] Body)> _exports = new();

        private OtlpCapture(WebApplication app) => _app = app;

        public string Address { get; private set; } = "";

        public static async Task<OtlpCapture> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1AndHttp2));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var capture = new OtlpCapture(app);
            app.MapPost("/v1/{signal}", async (HttpContext context, string signal) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                capture._exports.Enqueue(("/v1/" + signal, body.ToArray()));
                context.Response.ContentType = "application/x-protobuf";
            });
            await app.StartAsync();
            capture.Address = app.Urls.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
            return capture;
        }

        public bool Contains(string text)
        {
            var needle = Encoding.UTF8.GetBytes(text);
            return _exports.Any(e => e.Body.AsSpan().IndexOf(needle) >= 0);
        }

        public async Task WaitForAsync(string path, string service, CancellationToken cancellationToken)
        {
            var needle = Encoding.UTF8.GetBytes(service);
            while (!_exports.Any(e => e.Path == path && e.Body.AsSpan().IndexOf(needle) >= 0))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
