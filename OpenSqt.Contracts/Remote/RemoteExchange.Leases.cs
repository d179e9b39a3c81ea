using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Remote;

/// <summary>A lease held at the connector: while it is renewed, the orders whose client id starts with the prefix live.</summary>
public sealed record ConnectorLease(string Id, string Prefix, string ClientName, TimeSpan Ttl, DateTimeOffset ExpiresAt, DateTimeOffset LastRenewedAt);

/// <summary>One countdown the connector keeps armed at the venue; <see cref="Symbol"/> is null for an account-wide one.</summary>
public sealed record ArmedCountdown(string? Symbol, DateTimeOffset LastRefreshedAt, DateTimeOffset FiresAt);

/// <summary>The venue's cancel-all-after countdown as the connector runs it.</summary>
public sealed record VenueSwitchState(bool Supported, bool Enabled, int TimeoutSeconds, string Scope, IReadOnlyList<ArmedCountdown> Armed, string? LastError, string? Note);

/// <summary>Both levels of the dead-man's switch at one connector: the venue's countdown and the client leases.</summary>
public sealed record ConnectorSafetyStatus(string Exchange, VenueSwitchState VenueSwitch, IReadOnlyList<ConnectorLease> Leases, long LapsedLeases, long OrdersCancelledByLapse);

public sealed partial class RemoteExchange
{
    /// <summary>
    /// Takes a lease for the orders whose client id starts with <paramref name="prefix"/>. Fails with
    /// <see cref="ExchangeErrorKind.AlreadyExists"/> while another live client holds an overlapping prefix.
    /// </summary>
    public async Task<ConnectorLease> AcquireLeaseAsync(string prefix, string clientName, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var request = new W.AcquireLeaseRequest { ClientOrderIdPrefix = prefix, ClientName = clientName, TtlSeconds = (int)Math.Ceiling(ttl.TotalSeconds) };
        return ToDomain(await Call(o => _client.AcquireLeaseAsync(request, o), $"acquire lease '{prefix}'", cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Renews a lease; <see cref="ExchangeErrorKind.NotFound"/> when it lapsed (its orders were cancelled).</summary>
    public async Task<ConnectorLease> RenewLeaseAsync(string leaseId, CancellationToken cancellationToken = default) =>
        ToDomain(await Call(o => _client.RenewLeaseAsync(new W.RenewLeaseRequest { LeaseId = leaseId }, o), "renew lease", cancellationToken).ConfigureAwait(false));

    /// <summary>Ends a lease without touching its orders.</summary>
    public Task ReleaseLeaseAsync(string leaseId, CancellationToken cancellationToken = default) =>
        Call(o => _client.ReleaseLeaseAsync(new W.ReleaseLeaseRequest { LeaseId = leaseId }, o), "release lease", cancellationToken);

    /// <summary>The connector's dead-man's switch and leases, for monitoring.</summary>
    public async Task<ConnectorSafetyStatus> GetSafetyStatusAsync(CancellationToken cancellationToken = default)
    {
        var status = await Call(o => _client.GetSafetyStatusAsync(new W.GetSafetyStatusRequest(), o), "safety status", cancellationToken).ConfigureAwait(false);
        var venue = status.VenueSwitch ?? new W.VenueSwitchStatus();
        return new ConnectorSafetyStatus(
            status.Exchange,
            new VenueSwitchState(venue.Supported, venue.Enabled, venue.TimeoutSeconds, venue.Scope,
                venue.Armed.Select(a => new ArmedCountdown(a.Symbol.Length == 0 ? null : a.Symbol, a.LastRefreshedAt.ToDateTimeOffset(), a.FiresAt.ToDateTimeOffset())).ToArray(),
                venue.LastError.Length == 0 ? null : venue.LastError,
                venue.Note.Length == 0 ? null : venue.Note),
            status.Leases.Select(ToDomain).ToArray(),
            status.LapsedLeases,
            status.OrdersCancelledByLapse);
    }

    private static ConnectorLease ToDomain(W.Lease lease) =>
        new(lease.LeaseId, lease.ClientOrderIdPrefix, lease.ClientName, TimeSpan.FromSeconds(lease.TtlSeconds), lease.ExpiresAt.ToDateTimeOffset(), lease.LastRenewedAt.ToDateTimeOffset());
}
