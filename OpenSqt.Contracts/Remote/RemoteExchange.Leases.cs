using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Remote;

/// <summary>A lease held at the connector: while it is renewed, the orders whose client id starts with the prefix live.</summary>
public sealed record ConnectorLease(string Id, string Prefix, string ClientName, TimeSpan Ttl, DateTimeOffset ExpiresAt);

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

    private static ConnectorLease ToDomain(W.Lease lease) =>
        new(lease.LeaseId, lease.ClientOrderIdPrefix, lease.ClientName, TimeSpan.FromSeconds(lease.TtlSeconds), lease.ExpiresAt.ToDateTimeOffset());
}
