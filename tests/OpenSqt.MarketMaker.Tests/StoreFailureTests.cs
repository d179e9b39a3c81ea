using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// The state store really failing under the running engine: its SQLite files are made immutable (chattr +i, which
/// refuses writes even through the engine's open handles, even to root), so the next write returns an I/O error.
/// </summary>
[Collection(VenueCollection.Name)]
public sealed class StoreFailureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AStoreThatFailsHaltsTheEngineWhichSaysWhyCancelsItsOpeningsSendsNothingNewAndResumesOnlyWhenTheStoreWorksAndAnOperatorResets()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var state = Path.Combine(Directory.CreateTempSubdirectory("opensqt-store").FullName, "engine.db");
        var places = 0;
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(state), configure: services =>
            services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>(), place: (inner, request, token) =>
            {
                Interlocked.Increment(ref places);
                return inner.PlaceOrderAsync(request, token);
            })));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        using var alerts = engine.RiskState.Alerts.Subscribe();
        var files = new[] { state, state + "-wal" };
        try
        {
            await ChattrAsync("+i", files);
            var placesAtFailure = Volatile.Read(ref places);

            // A buy fills: booking it is the write that fails.
            sim.Trade("BTCUSDT", anchor - 100m, 1m);
            await Eventually.TrueAsync(() => engine.RiskState.StoreFailure is not null, Wait, "the engine notices the store failed");

            var trading = engine.RiskState.StateOf("BTCUSDT");
            Assert.Equal(TradingState.Halted, trading.State);
            Assert.Equal(RiskTrigger.StateStore, trading.Trigger);
            Assert.Contains("state store failed", trading.Reason, StringComparison.Ordinal);
            Assert.Null(engine.RiskState.FatalError);
            Assert.False(engine.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
            var metrics = (await engine.Risk.GetRiskMetricsAsync(new())).Metrics.Single();
            Assert.Equal("HALTED", metrics.TradingState);
            Assert.Equal("state_store", metrics.LimitType);
            using var http = new HttpClient { BaseAddress = engine.HttpAddress };
            var health = await (await http.GetAsync("/health")).Content.ReadAsStringAsync();
            Assert.Contains("Degraded", health, StringComparison.Ordinal);
            Assert.Contains("state store failed", health, StringComparison.Ordinal);
            using (var timeout = new CancellationTokenSource(Wait))
            {
                await foreach (var alert in alerts.ReadAllAsync(timeout.Token))
                {
                    if (alert.Type == "state_store_failed")
                    {
                        Assert.Equal("critical", alert.Severity);
                        break;
                    }
                }
            }

            // Halted: the buys still working are cancelled (a cancel only lowers the exposure and needs nothing on disk).
            // The market moves on and nothing new is sent: not the sell of the filled buy, not a new buy.
            await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count == 0, Wait, "the working buys are cancelled");
            sim.Trade("BTCUSDT", anchor - 50m, 1m);
            await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].LastPrice == anchor - 50m, Wait, "the engine saw the price move");
            await engine.DecidedAsync(Wait);
            Assert.Equal(placesAtFailure, Volatile.Read(ref places));
            Assert.Empty(await sim.GetOpenOrdersAsync("BTCUSDT"));

            // An operator reset while the store still fails is refused and changes nothing.
            var refused = await Assert.ThrowsAsync<RpcException>(async () => await engine.Risk.CloseCircuitBreakerAsync(new()));
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
            Assert.Contains("still fails", refused.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(TradingState.Halted, engine.RiskState.StateOf("BTCUSDT").State);
        }
        finally
        {
            await ChattrAsync("-i", files);
        }

        // The store works again, but nothing resumes by itself.
        await engine.DecidedAsync(Wait);
        Assert.Equal(TradingState.Halted, engine.RiskState.StateOf("BTCUSDT").State);
        Assert.NotNull(engine.RiskState.StoreFailure);

        // The operator resets: the fill missed while the store failed is read back from the venue and booked once, and
        // trading resumes (the filled buy's sell goes out).
        await engine.Risk.CloseCircuitBreakerAsync(new());
        Assert.Null(engine.RiskState.StoreFailure);
        var venue = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        Assert.True(venue > 0);
        await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].Snapshot.Position == venue, Wait, "the missed fill is booked");
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell), Wait, "the sell of the filled buy works");
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy), Wait, "the grid's buys work again");
        Assert.Equal(TradingState.Active, engine.RiskState.StateOf("BTCUSDT").State);
        Assert.Single((await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 100 })).Fills);
    }

    private static async Task ChattrAsync(string flag, IEnumerable<string> files)
    {
        var info = new ProcessStartInfo("chattr") { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(flag);
        foreach (var file in files)
        {
            info.ArgumentList.Add(file);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("chattr did not start");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"chattr {flag} failed (the test needs root and a file system with the immutable flag): {error}");
    }
}
