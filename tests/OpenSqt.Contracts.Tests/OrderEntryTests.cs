using System.Diagnostics.Metrics;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts.Remote;
using OpenSqt.ExchangeConnector.Diagnostics;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Tests;

/// <summary>
/// Places and cancels over the OrderEntry stream: the connector's side over the wire, the client's side against the
/// real connector and against scripted servers (one without the stream, one that breaks it, one that never answers).
/// </summary>
public sealed class OrderEntryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ServiceProvider Client(Uri address, string orderEntry = RemoteExchangeOptions.OrderEntryStreamMode, TimeProvider? time = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RemoteExchange:Address"] = address.ToString(),
            ["RemoteExchange:CallTimeout"] = "00:00:05",
            ["RemoteExchange:OrderEntry"] = orderEntry,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddRemoteExchange();
        return services.BuildServiceProvider();
    }

    private static OrderRequest Buy(decimal price, string clientId, bool postOnly = false) =>
        new() { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = price, Quantity = 0.002m, ClientOrderId = clientId, PostOnly = postOnly };

    [Fact]
    public async Task PlacesAndCancelsTravelOnTheStreamConcurrentlyAndFailAsTheUnaryCallsFail()
    {
        await using var host = await ConnectorHost.StartAsync();
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        using var served = new ServedRequests(host);
        await using var provider = Client(host.GrpcAddress);
        var remote = provider.GetRequiredService<RemoteExchange>();

        var orders = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => remote.PlaceOrderAsync(Buy(90_000m + i, $"entry{i}"))));
        Assert.All(orders, o => Assert.Equal(OrderStatus.New, o.Status));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"entry{i}"), orders.Select(o => o.ClientOrderId));
        Assert.Equal(20, orders.Select(o => o.ExchangeOrderId).Distinct().Count());
        Assert.Equal(90_001m, orders[0].Price);

        await Task.WhenAll(orders.Take(10).Select(o => remote.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(o.ExchangeOrderId))));
        await remote.CancelOrderAsync("BTCUSDT", OrderRef.ByClientId("entry11"));
        var open = await remote.GetOpenOrdersAsync("BTCUSDT");
        Assert.Equal(Enumerable.Range(12, 9).Select(i => $"entry{i}").ToHashSet(), open.Select(o => o.ClientOrderId ?? "").ToHashSet());

        // The refusals keep their kinds, as over the unary calls.
        var postOnly = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(Buy(96_000m, "crossing", postOnly: true)));
        Assert.Equal(ExchangeErrorKind.PostOnlyRejected, postOnly.Kind);
        Assert.StartsWith("place Buy BTCUSDT: ", postOnly.Message);
        var invalid = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(Buy(90_000m, "zero") with { Quantity = 0m }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, invalid.Kind);
        Assert.Contains("quantity", invalid.Message);
        var missing = await Assert.ThrowsAsync<ExchangeException>(() => remote.CancelOrderAsync("BTCUSDT", OrderRef.ByClientId("never-placed")));
        Assert.Equal(ExchangeErrorKind.NotFound, missing.Kind);

        // All of it came over the stream: 22 places and 12 cancels counted under their own methods as order entry.
        Assert.Equal(22, served.Count("PlaceOrder", ConnectorMetrics.OrderEntryTransport));
        Assert.Equal(12, served.Count("CancelOrder", ConnectorMetrics.OrderEntryTransport));
        Assert.Equal(0, served.Count("PlaceOrder", ConnectorMetrics.UnaryTransport));
        Assert.Equal(0, served.Count("CancelOrder", ConnectorMetrics.UnaryTransport));
    }

    [Fact]
    public async Task UnaryModeSendsEachOrderAsItsOwnCall()
    {
        await using var host = await ConnectorHost.StartAsync();
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        using var served = new ServedRequests(host);
        await using var provider = Client(host.GrpcAddress, RemoteExchangeOptions.OrderEntryUnaryMode);
        var remote = provider.GetRequiredService<RemoteExchange>();
        var order = await remote.PlaceOrderAsync(Buy(90_000m, "unary1"));
        await remote.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(order.ExchangeOrderId));
        Assert.Equal(1, served.Count("PlaceOrder", ConnectorMetrics.UnaryTransport));
        Assert.Equal(1, served.Count("CancelOrder", ConnectorMetrics.UnaryTransport));
        Assert.Equal(0, served.Count("PlaceOrder", ConnectorMetrics.OrderEntryTransport));
    }

    [Fact]
    public void AnUnknownOrderEntryModeStopsTheStartNamingTheKeyAndTheAllowedValues()
    {
        using var provider = Client(new Uri("http://127.0.0.1:1"), "fast");
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RemoteExchangeOptions>>().Value);
        Assert.Contains("RemoteExchange:OrderEntry must be stream or unary", ex.Message);
    }

    [Fact]
    public async Task TheConnectorAnswersEachRequestByItsCorrelationIdAndABadRequestIsAnAnswerNotTheEndOfTheStream()
    {
        await using var host = await ConnectorHost.StartAsync();
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        using var cts = new CancellationTokenSource(Timeout);
        using var call = client.OrderEntry(cancellationToken: cts.Token);

        W.PlaceOrderRequest Place(string clientId, string symbol = "BTCUSDT") => new()
        {
            Symbol = symbol, Side = W.OrderSide.Buy, Type = W.OrderType.Limit, TimeInForce = W.TimeInForce.Gtc,
            Price = new Google.Type.Decimal { Value = "90000" }, Quantity = new Google.Type.Decimal { Value = "0.002" }, ClientOrderId = clientId,
        };

        // Ten places written without waiting, then the bad requests, then a cancel of the first place.
        for (var i = 1; i <= 10; i++)
        {
            await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = (ulong)(100 + i), Place = Place($"wire{i}"), TimeoutMs = 5_000 });
        }

        await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = 0, Place = Place("no-correlation") });
        await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = 201 });
        await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = 202, Place = Place("lower", symbol: "btcusdt") });
        await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = 203, Cancel = new W.CancelOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "wire1" } });
        await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = 204, Place = Place("forever"), TimeoutMs = long.MaxValue });
        await call.RequestStream.WriteAsync(new W.OrderEntryRequest { CorrelationId = 205, Place = Place("negative"), TimeoutMs = -1 });
        await call.RequestStream.CompleteAsync();

        var answers = new Dictionary<ulong, W.OrderEntryResponse>();
        while (await call.ResponseStream.MoveNext(cts.Token))
        {
            Assert.True(answers.TryAdd(call.ResponseStream.Current.CorrelationId, call.ResponseStream.Current), $"answered twice: {call.ResponseStream.Current.CorrelationId}");
        }

        // The connector answered everything before it ended the call, and ended it well.
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(16, answers.Count);
        for (var i = 1; i <= 10; i++)
        {
            var placed = answers[(ulong)(100 + i)];
            Assert.Equal(W.OrderEntryResponse.ResultOneofCase.Placed, placed.ResultCase);
            Assert.Equal($"wire{i}", placed.Placed.ClientOrderId);
        }

        Assert.Equal((int)StatusCode.InvalidArgument, answers[0].Error.StatusCode);
        Assert.Contains("correlation_id", answers[0].Error.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[201].Error.StatusCode);
        Assert.Contains("request must hold place or cancel", answers[201].Error.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[202].Error.StatusCode);
        Assert.Contains("symbol", answers[202].Error.Message);
        foreach (var badTimeout in new ulong[] { 204, 205 })
        {
            Assert.Equal((int)StatusCode.InvalidArgument, answers[badTimeout].Error.StatusCode);
            Assert.Contains("timeout_ms", answers[badTimeout].Error.Message);
        }

        // The cancel may be served before or after the place it names (they run concurrently): either it cancelled it,
        // or the venue did not know it yet; what it must not do is be lost.
        var cancel = answers[203];
        Assert.True(
            cancel.ResultCase == W.OrderEntryResponse.ResultOneofCase.Cancelled
                || (cancel.ResultCase == W.OrderEntryResponse.ResultOneofCase.Error && cancel.Error.ErrorKind == nameof(ExchangeErrorKind.NotFound)),
            $"cancel answered {cancel}");
        var open = await host.Sim.GetOpenOrdersAsync("BTCUSDT");
        Assert.Equal(cancel.ResultCase == W.OrderEntryResponse.ResultOneofCase.Cancelled ? 9 : 10, open.Count);
    }

    [Fact]
    public async Task AConnectorWithoutTheStreamIsAnsweredByTheUnaryCallsFromThenOn()
    {
        await using var server = await ScriptedConnector.StartAsync(orderEntry: null);
        await using var provider = Client(server.Address);
        var remote = provider.GetRequiredService<RemoteExchange>();

        var first = await remote.PlaceOrderAsync(Buy(90_000m, "old1"));
        var second = await remote.PlaceOrderAsync(Buy(90_000m, "old2"));
        await remote.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(first.ExchangeOrderId));

        Assert.Equal("old1", first.ClientOrderId);
        Assert.Equal("old2", second.ClientOrderId);
        Assert.Equal(2, server.UnaryPlaces);
        Assert.Equal(1, server.UnaryCancels);
        // One attempt at the stream, answered UNIMPLEMENTED; nothing was served twice.
        Assert.Equal(1, server.OrderEntryCalls);
    }

    [Fact]
    public async Task AConnectorThatStopsEndsItsOrderEntryStreamsInsteadOfWaitingOutItsShutdownTimeout()
    {
        // A shutdown timeout far longer than the test waits: a stop that waited for the open stream would not finish.
        var host = await ConnectorHost.StartAsync(configureServices: s => s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10)));
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        await using var provider = Client(host.GrpcAddress);
        var remote = provider.GetRequiredService<RemoteExchange>();

        // The engine's stream is open (its first order came over it) and waits for the next order.
        Assert.Equal(OrderStatus.New, (await remote.PlaceOrderAsync(Buy(90_000m, "before-stop"))).Status);

        await host.StopAsync().WaitAsync(Timeout);
        await host.DisposeAsync();

        // The stream ended with the connector: the next order finds no connector (unavailable), it does not hang.
        var gone = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(Buy(90_000m, "after-stop")).WaitAsync(Timeout));
        Assert.Equal(ExchangeErrorKind.Unavailable, gone.Kind);
    }

    [Fact]
    public async Task APlaceWhoseStreamBreaksBeforeTheAnswerIsUnavailableAndTheNextOrderOpensANewStream()
    {
        await using var server = await ScriptedConnector.FirstStreamBreaksAsync(_ => throw new RpcException(new Status(StatusCode.Unavailable, "connector going away")));
        await using var provider = Client(server.Address);
        var remote = provider.GetRequiredService<RemoteExchange>();

        var lost = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(Buy(90_000m, "lost")));
        // Unavailable: an order that may have reached the venue, which the engine resolves by client id (never a refusal).
        Assert.Equal(ExchangeErrorKind.Unavailable, lost.Kind);
        Assert.Contains("connector going away", lost.Message);

        var next = await remote.PlaceOrderAsync(Buy(90_000m, "next"));
        Assert.Equal("next", next.ClientOrderId);
        Assert.Equal(2, server.OrderEntryCalls);
        Assert.Equal(0, server.UnaryPlaces);
    }

    /// <summary>
    /// A connector that resets the stream (HTTP/2 RST_STREAM, as a server that stops or crashes mid-call does) while a place
    /// waits for its answer: the client library reports INTERNAL, but the order may be working on the venue, so the place
    /// is unavailable (resolved by client id), never an internal error the engine would take as a refusal.
    /// </summary>
    [Fact]
    public async Task APlaceWhoseStreamTheConnectorResetsIsUnavailableNotAnInternalError()
    {
        await using var server = await ScriptedConnector.FirstStreamBreaksAsync(context => context.GetHttpContext().Abort());
        await using var provider = Client(server.Address);
        var remote = provider.GetRequiredService<RemoteExchange>();

        var lost = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(Buy(90_000m, "reset")).WaitAsync(Timeout));
        Assert.Equal(ExchangeErrorKind.Unavailable, lost.Kind);
        Assert.Contains("the order entry stream broke", lost.Message);

        var next = await remote.PlaceOrderAsync(Buy(90_000m, "next")).WaitAsync(Timeout);
        Assert.Equal("next", next.ClientOrderId);
        Assert.Equal(2, server.OrderEntryCalls);
    }

    /// <summary>The same over the unary call (a connector without the stream): a reset call is unavailable, not internal.</summary>
    [Fact]
    public async Task AUnaryPlaceWhoseCallTheConnectorResetsIsUnavailableNotAnInternalError()
    {
        await using var server = await ScriptedConnector.StartAsync(orderEntry: null, place: (request, context) =>
        {
            context.GetHttpContext().Abort();
            return Task.FromResult(ScriptedConnector.Accept(request));
        });
        await using var provider = Client(server.Address);
        var remote = provider.GetRequiredService<RemoteExchange>();

        var lost = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(Buy(90_000m, "reset")).WaitAsync(Timeout));
        Assert.Equal(ExchangeErrorKind.Unavailable, lost.Kind);
        Assert.Equal(1, server.UnaryPlaces);
    }

    [Fact]
    public async Task APlaceWithoutAnAnswerWithinTheCallTimeoutHasAnUnknownOutcome()
    {
        var received = new TaskCompletionSource<W.OrderEntryRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await ScriptedConnector.StartAsync(orderEntry: async (requests, responses, context) =>
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                received.TrySetResult(requests.Current);
            }
        });
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var provider = Client(server.Address, time: time);
        var remote = provider.GetRequiredService<RemoteExchange>();

        var placing = remote.PlaceOrderAsync(Buy(90_000m, "silent"));
        var request = await received.Task.WaitAsync(Timeout);
        // The connector is told how long it may work on it: the client's call timeout.
        Assert.Equal(5_000, request.TimeoutMs);
        Assert.NotEqual(0UL, request.CorrelationId);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(placing.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => placing.WaitAsync(Timeout));
        Assert.Equal(ExchangeErrorKind.UnknownOutcome, ex.Kind);
        Assert.Contains("no answer on the order entry stream within 5000 ms", ex.Message);
    }

    /// <summary>Counts the connector's served requests by method and transport, from its request counter.</summary>
    /// <summary>
    /// The requests one connector counted. Only its own meter's (the one its container's meter factory made): the tests of
    /// other classes run their connectors in this process at the same time, under the same meter name.
    /// </summary>
    private sealed class ServedRequests : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string Method, string Transport), int> _counts = [];

        public ServedRequests(ConnectorHost host)
        {
            var scope = host.Services.GetRequiredService<IMeterFactory>();
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ConnectorMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, scope) && instrument.Name == ConnectorMetrics.Requests)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? method = null, transport = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "method")
                    {
                        method = (string?)tag.Value;
                    }
                    else if (tag.Key == "transport")
                    {
                        transport = (string?)tag.Value;
                    }
                }

                lock (_counts)
                {
                    var key = (method ?? "", transport ?? "");
                    _counts[key] = _counts.GetValueOrDefault(key) + (int)value;
                }
            });
            _listener.Start();
        }

        public int Count(string method, string transport)
        {
            lock (_counts)
            {
                return _counts.GetValueOrDefault((method, transport));
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>
    /// A gRPC server of ExchangeService over a real socket that serves places and cancels as unary calls and the
    /// OrderEntry stream as the test scripts it (null: not served, as by a connector older than the stream).
    /// </summary>
    private sealed class ScriptedConnector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ScriptedConnector(WebApplication app, Uri address, Counters counters)
        {
            _app = app;
            Address = address;
            _counters = counters;
        }

        private readonly Counters _counters;

        public Uri Address { get; }

        public int UnaryPlaces => Volatile.Read(ref _counters.Places);

        public int UnaryCancels => Volatile.Read(ref _counters.Cancels);

        public int OrderEntryCalls => Volatile.Read(ref _counters.OrderEntryCalls);

        public static W.Order Accept(W.PlaceOrderRequest place) => new()
        {
            OrderId = 1, ExchangeOrderId = "1", ClientOrderId = place.ClientOrderId, Symbol = place.Symbol, Side = place.Side, Type = place.Type,
            Price = place.Price, Quantity = place.Quantity, Status = W.OrderStatus.New,
        };

        /// <summary>Answers every place on the stream as accepted, until the client ends it.</summary>
        public static async Task AcceptPlacesAsync(IAsyncStreamReader<W.OrderEntryRequest> requests, IServerStreamWriter<W.OrderEntryResponse> responses, ServerCallContext context)
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
                await responses.WriteAsync(new W.OrderEntryResponse { CorrelationId = requests.Current.CorrelationId, Placed = Accept(requests.Current.Place) });
            }
        }

        /// <summary>
        /// A connector whose first order entry stream takes one request and then breaks as <paramref name="breakStream"/>
        /// does (throws a status, resets the call) without answering it; every later stream accepts its places.
        /// </summary>
        public static Task<ScriptedConnector> FirstStreamBreaksAsync(Action<ServerCallContext> breakStream)
        {
            var streams = 0;
            return StartAsync(orderEntry: async (requests, responses, context) =>
            {
                if (Interlocked.Increment(ref streams) == 1)
                {
                    await requests.MoveNext(context.CancellationToken);
                    breakStream(context);
                    return;
                }

                await AcceptPlacesAsync(requests, responses, context);
            });
        }

        public static async Task<ScriptedConnector> StartAsync(Func<IAsyncStreamReader<W.OrderEntryRequest>, IServerStreamWriter<W.OrderEntryResponse>, ServerCallContext, Task>? orderEntry,
            Func<W.PlaceOrderRequest, ServerCallContext, Task<W.Order>>? place = null)
        {
            var port = ConnectorHost.FreePort();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddGrpc();
            var counters = new Counters { OrderEntry = orderEntry, Place = place };
            builder.Services.AddSingleton(counters);
            var app = builder.Build();
            app.MapGrpcService<Service>();
            await app.StartAsync();
            return new ScriptedConnector(app, new Uri($"http://127.0.0.1:{port}"), counters);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private sealed class Counters
        {
            public int Places;
            public int Cancels;
            public int OrderEntryCalls;

            public Func<IAsyncStreamReader<W.OrderEntryRequest>, IServerStreamWriter<W.OrderEntryResponse>, ServerCallContext, Task>? OrderEntry { get; init; }

            public Func<W.PlaceOrderRequest, ServerCallContext, Task<W.Order>>? Place { get; init; }
        }

        private sealed class Service(Counters counters) : W.ExchangeService.ExchangeServiceBase
        {
            public override Task<W.Order> PlaceOrder(W.PlaceOrderRequest request, ServerCallContext context)
            {
                Interlocked.Increment(ref counters.Places);
                return counters.Place is { } script ? script(request, context) : Task.FromResult(Accept(request));
            }

            public override Task<W.CancelOrderResponse> CancelOrder(W.CancelOrderRequest request, ServerCallContext context)
            {
                Interlocked.Increment(ref counters.Cancels);
                return Task.FromResult(new W.CancelOrderResponse());
            }

            public override Task OrderEntry(IAsyncStreamReader<W.OrderEntryRequest> requestStream, IServerStreamWriter<W.OrderEntryResponse> responseStream, ServerCallContext context)
            {
                Interlocked.Increment(ref counters.OrderEntryCalls);
                return counters.OrderEntry is { } script ? script(requestStream, responseStream, context) : base.OrderEntry(requestStream, responseStream, context);
            }
        }
    }
}
