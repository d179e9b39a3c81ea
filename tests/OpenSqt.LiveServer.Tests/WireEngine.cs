using System.Threading.Channels;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.LiveServer.Tests;

/// <summary>
/// A stand-in for the trading engine at the wire level: a real gRPC server on loopback serving the v1 PositionService
/// and RiskService from state the test sets. It lets the LiveServer's engine link be tested before and beside the real
/// engine; the browser test against the real engine runs once the engine is merged.
/// </summary>
public sealed class WireEngine : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private WireEngine(WebApplication app, int port, EngineState state)
    {
        _app = app;
        Port = port;
        State = state;
    }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    public EngineState State { get; }

    public static async Task<WireEngine> StartAsync(EngineState state, int? port = null)
    {
        var p = port ?? ConnectorHost.FreePort();
        // Not the output folder as content root: the LiveServer's appsettings.json there would add its own endpoint.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = Directory.CreateTempSubdirectory("opensqt-wire-engine").FullName,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(p, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.Services.AddSingleton(state);
        var app = builder.Build();
        app.MapGrpcService<PositionService>();
        app.MapGrpcService<RiskService>();
        await app.StartAsync();
        return new WireEngine(app, p, state);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>What the stand-in engine reports; the test changes it at will.</summary>
    public sealed class EngineState
    {
        public string Symbol { get; init; } = "BTCUSDT";
        public decimal Quantity { get; set; }
        public decimal EntryPrice { get; set; }
        public decimal RealizedPnl { get; set; }
        public bool BreakerOpen { get; set; }
        public string BreakerReason { get; set; } = "";
        public string LimitType { get; set; } = "";

        /// <summary>When set, every call must carry it as <c>x-api-key</c>, as the real engine requires.</summary>
        public string? ApiKey { get; init; }
        public Channel<W.RiskAlert> Alerts { get; } = Channel.CreateUnbounded<W.RiskAlert>();

        public W.PositionData Position() => new()
        {
            Symbol = Symbol,
            Exchange = "sim",
            Quantity = Quantity.ToWire(),
            EntryPrice = EntryPrice.ToWire(),
            CurrentPrice = EntryPrice.ToWire(),
            UnrealizedPnl = 0m.ToWire(),
            RealizedPnl = RealizedPnl.ToWire(),
            UpdatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };

        public void Authorize(ServerCallContext context)
        {
            if (ApiKey is not null && context.RequestHeaders.GetValue("x-api-key") != ApiKey)
            {
                throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or wrong x-api-key"));
            }
        }

        public void NotTraded(string symbol)
        {
            if (symbol != Symbol)
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"symbol '{symbol}' is not traded by this engine"));
            }
        }
    }

    private sealed class PositionService(EngineState state) : W.PositionService.PositionServiceBase
    {
        public override Task<W.PositionServiceGetPositionsResponse> GetPositions(W.PositionServiceGetPositionsRequest request, ServerCallContext context)
        {
            state.Authorize(context);
            foreach (var symbol in request.Symbols)
            {
                state.NotTraded(symbol);
            }

            return Task.FromResult(new W.PositionServiceGetPositionsResponse { Positions = { state.Position() } });
        }

        public override async Task SubscribePositions(W.PositionServiceSubscribePositionsRequest request, IServerStreamWriter<W.PositionUpdate> responseStream, ServerCallContext context)
        {
            state.Authorize(context);
            await responseStream.WriteAsync(new W.PositionUpdate { Position = state.Position(), UpdateType = "snapshot" });
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The subscriber left.
            }
        }

        public override Task<W.PositionServiceGetRealizedPnLResponse> GetRealizedPnL(W.PositionServiceGetRealizedPnLRequest request, ServerCallContext context)
        {
            state.Authorize(context);
            foreach (var symbol in request.Symbols)
            {
                state.NotTraded(symbol);
            }

            return Task.FromResult(new W.PositionServiceGetRealizedPnLResponse
            {
                TotalPnl = state.RealizedPnl.ToWire(),
                BySymbol = { new W.SymbolPnL { Symbol = state.Symbol, RealizedPnl = state.RealizedPnl.ToWire() } },
            });
        }
    }

    private sealed class RiskService(EngineState state) : W.RiskService.RiskServiceBase
    {
        public override Task<W.GetRiskMetricsResponse> GetRiskMetrics(W.GetRiskMetricsRequest request, ServerCallContext context)
        {
            state.Authorize(context);
            foreach (var symbol in request.Symbols)
            {
                state.NotTraded(symbol);
            }

            return Task.FromResult(new W.GetRiskMetricsResponse
            {
                Metrics = { new W.SymbolRiskMetrics { Symbol = state.Symbol, LimitBreach = state.LimitType.Length > 0, LimitType = state.LimitType } },
            });
        }

        public override Task<W.GetCircuitBreakerStatusResponse> GetCircuitBreakerStatus(W.GetCircuitBreakerStatusRequest request, ServerCallContext context)
        {
            state.Authorize(context);
            state.NotTraded(request.Symbol);
            return Task.FromResult(new W.GetCircuitBreakerStatusResponse
            {
                Status = new W.CircuitBreakerStatus
                {
                    Symbol = state.Symbol,
                    IsOpen = state.BreakerOpen,
                    Reason = state.BreakerReason,
                    OpenedAt = state.BreakerOpen ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() : 0,
                    ConsecutiveLosses = state.BreakerOpen ? 3 : 0,
                },
            });
        }

        public override async Task SubscribeRiskAlerts(W.SubscribeRiskAlertsRequest request, IServerStreamWriter<W.RiskAlert> responseStream, ServerCallContext context)
        {
            state.Authorize(context);
            try
            {
                await foreach (var alert in state.Alerts.Reader.ReadAllAsync(context.CancellationToken))
                {
                    await responseStream.WriteAsync(alert);
                }
            }
            catch (OperationCanceledException)
            {
                // The subscriber left.
            }
        }
    }
}
