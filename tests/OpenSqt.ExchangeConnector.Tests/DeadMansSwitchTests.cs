using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.ExchangeConnector.Safety;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;
using static OpenSqt.ExchangeConnector.Tests.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>
/// Issue 14 through the real connector on loopback gRPC, on a fake clock: client leases (level 2) and the sim venue's
/// cancel-all-after countdown armed and refreshed by the connector (level 1).
/// </summary>
public sealed class DeadMansSwitchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static async Task<(ConnectorHost Host, FakeTimeProvider Time)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var host = await ConnectorHost.StartAsync(settings, configureServices: s => s.AddSingleton<TimeProvider>(time));
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        return (host, time);
    }

    private static async Task<int> OpenWithPrefix(W.ExchangeService.ExchangeServiceClient client, string prefix) =>
        (await client.GetOpenOrdersAsync(new W.GetOpenOrdersRequest())).Orders.Count(o => o.ClientOrderId.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Advances the fake clock one second at a time, letting the connector's check loop run after each step.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan span, Func<Task>? afterEachSecond = null)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < span; elapsed += TimeSpan.FromSeconds(1))
        {
            time.Advance(TimeSpan.FromSeconds(1));
            if (afterEachSecond is not null)
            {
                await afterEachSecond();
            }

            await Task.Yield();
        }
    }

    [Fact]
    public async Task ALapsedLeaseCancelsThatClientsOrdersAndOnlyThose()
    {
        var (host, time) = await StartAsync();
        await using var _ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        using var events = client.SubscribeSafetyEvents(new W.SubscribeSafetyEventsRequest());
        await events.ResponseHeadersAsync;

        var lease = await client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "engA", ClientName = "engine a", TtlSeconds = 6 });
        await client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "engB", ClientName = "engine b", TtlSeconds = 3600 });
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "engA1"));
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "93900", "0.002", "engA2"));
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "93800", "0.002", "engB1"));
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "93700", "0.002", "manual1"));

        // Renewed every 4 s, the lease outlives its 6 s many times over.
        for (var i = 0; i < 5; i++)
        {
            await AdvanceAsync(time, TimeSpan.FromSeconds(4));
            await client.RenewLeaseAsync(new W.RenewLeaseRequest { LeaseId = lease.LeaseId });
        }

        Assert.Equal(2, await OpenWithPrefix(client, "engA"));

        // Then client A stops renewing: within the lease time plus one check, its orders are cancelled.
        await AdvanceAsync(time, TimeSpan.FromSeconds(7));
        await Eventually.TrueAsync(async () => await OpenWithPrefix(client, "engA") == 0, Timeout, "the lapsed lease's orders were cancelled");
        Assert.Equal(1, await OpenWithPrefix(client, "engB"));
        Assert.Equal(1, await OpenWithPrefix(client, "manual"));

        W.SafetyEvent lapsed;
        using var wait = new CancellationTokenSource(Timeout);
        do
        {
            Assert.True(await events.ResponseStream.MoveNext(wait.Token));
            lapsed = events.ResponseStream.Current;
        }
        while (lapsed.Kind != W.SafetyEvent.Types.Kind.LeaseLapsed);

        Assert.Equal(("engA", "engine a", 2), (lapsed.ClientOrderIdPrefix, lapsed.ClientName, lapsed.OrdersCancelled));
        var status = await client.GetSafetyStatusAsync(new W.GetSafetyStatusRequest());
        Assert.Equal((1L, 2L), (status.LapsedLeases, status.OrdersCancelledByLapse));
        Assert.Equal("engB", Assert.Single(status.Leases).ClientOrderIdPrefix);

        // The lapsed lease is gone; the prefix is free again once its orders are cancelled.
        var renew = await Fails(() => client.RenewLeaseAsync(new W.RenewLeaseRequest { LeaseId = lease.LeaseId }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, renew.StatusCode);
        await client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "engA", ClientName = "engine a", TtlSeconds = 6 });
    }

    [Fact]
    public async Task ReleasedLeaseLeavesTheOrdersAlone()
    {
        var (host, time) = await StartAsync();
        await using var _ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        var lease = await client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "keep", ClientName = "e", TtlSeconds = 5 });
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "keep1"));
        await client.ReleaseLeaseAsync(new W.ReleaseLeaseRequest { LeaseId = lease.LeaseId });

        await AdvanceAsync(time, TimeSpan.FromSeconds(12));
        var status = await client.GetSafetyStatusAsync(new W.GetSafetyStatusRequest());
        Assert.Equal((0L, 0), (status.LapsedLeases, status.Leases.Count));
        Assert.Equal(1, await OpenWithPrefix(client, "keep"));
    }

    [Fact]
    public async Task LeaseRequestsThatCannotBeHonouredAreRefusedWithTheRightCode()
    {
        var (host, _) = await StartAsync();
        await using var __ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        await client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "abcd", ClientName = "first", TtlSeconds = 30 });

        var taken = await Fails(() => client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "abcd", ClientName = "second", TtlSeconds = 30 }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, taken.StatusCode);
        Assert.Contains("held by first", taken.Status.Detail, StringComparison.Ordinal);

        // A prefix of a held prefix (or the other way round) would claim the other client's orders.
        var overlapping = await Fails(() => client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "ab", ClientName = "third", TtlSeconds = 30 }).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, overlapping.StatusCode);

        var unknown = await Fails(() => client.RenewLeaseAsync(new W.RenewLeaseRequest { LeaseId = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        var badPrefix = await Fails(() => client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "a b", TtlSeconds = 30 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badPrefix.StatusCode);
        Assert.Contains("client_order_id_prefix", badPrefix.Status.Detail, StringComparison.Ordinal);

        var badTtl = await Fails(() => client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "zz", TtlSeconds = 2 }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badTtl.StatusCode);
        Assert.Contains("ttl_seconds", badTtl.Status.Detail, StringComparison.Ordinal);

        var noId = await Fails(() => client.RenewLeaseAsync(new W.RenewLeaseRequest()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noId.StatusCode);
        Assert.Contains("lease_id", noId.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheVenueCountdownIsArmedOnTheFirstOrderRefreshedWhileTheConnectorLivesAndFiresWhenItStops()
    {
        var (host, time) = await StartAsync(new() { ["Connector:DeadMansSwitch:TimeoutSeconds"] = "20" });
        await using var _ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Null(host.Sim.CountdownFiresAt("BTCUSDT"));

        // A client holds a lease, so a stopping connector leaves the venue's countdown armed.
        await client.AcquireLeaseAsync(new W.AcquireLeaseRequest { ClientOrderIdPrefix = "dms", ClientName = "e", TtlSeconds = 3600 });
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "dms1"));
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(20), host.Sim.CountdownFiresAt("BTCUSDT"));
        var status = await client.GetSafetyStatusAsync(new W.GetSafetyStatusRequest());
        Assert.True(status.VenueSwitch.Enabled);
        Assert.Equal(("BTCUSDT", 20, "symbol"), (Assert.Single(status.VenueSwitch.Armed).Symbol, status.VenueSwitch.TimeoutSeconds, status.VenueSwitch.Scope));

        // Three times the countdown passes; the connector refreshes it every 5 s, so the venue never fires.
        await AdvanceAsync(time, TimeSpan.FromSeconds(60), () =>
            Eventually.TrueAsync(() => host.Sim.CountdownFiresAt("BTCUSDT") > time.GetUtcNow() + TimeSpan.FromSeconds(10), Timeout, "the countdown was refreshed in time"));
        Assert.Equal(0, host.Sim.CountdownFirings);
        Assert.Equal(1, await OpenWithPrefix(client, "dms"));

        // The connector's safety loop stops as in a crash of the connector (the sim venue lives on): the venue fires.
        await host.Services.GetRequiredService<ConnectorSafety>().StopAsync(CancellationToken.None);
        Assert.NotNull(host.Sim.CountdownFiresAt("BTCUSDT"));
        await AdvanceAsync(time, TimeSpan.FromSeconds(21));
        await Eventually.TrueAsync(() => host.Sim.CountdownFirings == 1, Timeout, "the venue's countdown ran out");
        Assert.Equal(0, await OpenWithPrefix(client, "dms"));
        Assert.Equal(1, host.Sim.CountdownCancellations);
    }

    [Fact]
    public async Task AGracefulStopWithoutLeasesDisarmsTheCountdown()
    {
        var (host, _) = await StartAsync(new() { ["Connector:DeadMansSwitch:TimeoutSeconds"] = "30" });
        await using var _ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "free1"));
        Assert.NotNull(host.Sim.CountdownFiresAt("BTCUSDT"));

        await host.Services.GetRequiredService<ConnectorSafety>().StopAsync(CancellationToken.None);
        Assert.Null(host.Sim.CountdownFiresAt("BTCUSDT"));
    }

    [Fact]
    public async Task AVenueThatRefusesTheCountdownDegradesHealthWithItsReasonAndOrdersStillGoOut()
    {
        var (host, _) = await StartAsync(new() { ["Exchanges:Sim:AllowCountdown"] = "false" });
        await using var _ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "ref1"));
        Assert.Equal(1, await OpenWithPrefix(client, "ref"));

        var status = await client.GetSafetyStatusAsync(new W.GetSafetyStatusRequest());
        Assert.Contains("may not use the cancel-all countdown", status.VenueSwitch.LastError, StringComparison.Ordinal);
        Assert.Empty(status.VenueSwitch.Armed);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "dead-mans-switch");
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("may not use the cancel-all countdown", health.Entries["dead-mans-switch"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATimeoutTheVenueDoesNotAcceptStopsTheConnectorAtStartNamingTheKey()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Connector:DeadMansSwitch:TimeoutSeconds"] = "2" }));
        Assert.Contains("Connector__DeadMansSwitch__TimeoutSeconds", ex.Message, StringComparison.Ordinal);
        Assert.Contains("5 to 3600", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASwitchDisabledByConfigurationSaysSoAndArmsNothing()
    {
        var (host, _) = await StartAsync(new() { ["Connector:DeadMansSwitch:TimeoutSeconds"] = "0" });
        await using var _ = host;
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, "94000", "0.002", "off1"));
        Assert.Null(host.Sim.CountdownFiresAt("BTCUSDT"));
        var status = await client.GetSafetyStatusAsync(new W.GetSafetyStatusRequest());
        Assert.False(status.VenueSwitch.Enabled);
        Assert.Contains("TimeoutSeconds = 0", status.VenueSwitch.Note, StringComparison.Ordinal);
    }
}
