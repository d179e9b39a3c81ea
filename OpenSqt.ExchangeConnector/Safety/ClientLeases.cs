using System.Text.RegularExpressions;
using Grpc.Core;

namespace OpenSqt.ExchangeConnector.Safety;

/// <summary>One client's lease: while it is renewed, the client's orders (by client-order-id prefix) are its own.</summary>
public sealed record ClientLease(string Id, string Prefix, string ClientName, TimeSpan Ttl, DateTimeOffset AcquiredAt, DateTimeOffset RenewedAt)
{
    public DateTimeOffset ExpiresAt => RenewedAt + Ttl;
}

/// <summary>
/// The leases clients hold at this connector. Pure bookkeeping on a <see cref="TimeProvider"/>: who holds which prefix,
/// which leases lapsed, which prefixes are still being cleaned up after a lapse. <see cref="ConnectorSafety"/> acts on
/// the lapses.
/// </summary>
public sealed partial class ClientLeases(TimeProvider time)
{
    public const int MinTtlSeconds = 5;
    public const int MaxTtlSeconds = 3600;
    public const int MaxPrefixLength = 16;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ClientLease> _byId = new(StringComparer.Ordinal);
    private readonly HashSet<string> _cleaning = new(StringComparer.Ordinal);

    public IReadOnlyList<ClientLease> Live
    {
        get
        {
            lock (_gate)
            {
                return _byId.Values.OrderBy(l => l.Prefix, StringComparer.Ordinal).ToArray();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    /// <summary>Takes a lease; ALREADY_EXISTS when a live lease (or a lapsed one still being cleaned up) overlaps the prefix.</summary>
    public ClientLease Acquire(string prefix, string clientName, int ttlSeconds)
    {
        if (string.IsNullOrEmpty(prefix) || prefix.Length > MaxPrefixLength || !PrefixPattern().IsMatch(prefix))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"client_order_id_prefix '{prefix}' must be 1 to {MaxPrefixLength} letters, digits, '-' or '_'"));
        }

        if (ttlSeconds is < MinTtlSeconds or > MaxTtlSeconds)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"ttl_seconds {ttlSeconds} must be between {MinTtlSeconds} and {MaxTtlSeconds}"));
        }

        var name = string.IsNullOrWhiteSpace(clientName) ? "unnamed" : clientName.Trim();
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_byId.Values.FirstOrDefault(l => Overlaps(l.Prefix, prefix)) is { } held)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists,
                    $"client_order_id_prefix '{prefix}' overlaps '{held.Prefix}' held by {held.ClientName} until {held.ExpiresAt:O} (or until it is released)"));
            }

            if (_cleaning.FirstOrDefault(p => Overlaps(p, prefix)) is { } cleaning)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists,
                    $"client_order_id_prefix '{prefix}' overlaps '{cleaning}', whose lapsed lease's orders are still being cancelled; retry shortly"));
            }

            var lease = new ClientLease(Guid.NewGuid().ToString("N"), prefix, name, TimeSpan.FromSeconds(ttlSeconds), now, now);
            _byId.Add(lease.Id, lease);
            return lease;
        }
    }

    /// <summary>Renews a live lease; NOT_FOUND when it is unknown or has already lapsed.</summary>
    public ClientLease Renew(string leaseId)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (!_byId.TryGetValue(leaseId ?? "", out var lease) || lease.ExpiresAt <= now)
            {
                throw new RpcException(new Status(StatusCode.NotFound,
                    $"lease_id '{leaseId}' is not a live lease (unknown, released or lapsed; a lapsed lease's orders are cancelled)"));
            }

            var renewed = lease with { RenewedAt = now };
            _byId[leaseId!] = renewed;
            return renewed;
        }
    }

    /// <summary>Ends a lease without touching its orders; NOT_FOUND when it is unknown.</summary>
    public ClientLease Release(string leaseId)
    {
        lock (_gate)
        {
            return _byId.Remove(leaseId ?? "", out var lease)
                ? lease
                : throw new RpcException(new Status(StatusCode.NotFound, $"lease_id '{leaseId}' is not a live lease"));
        }
    }

    /// <summary>
    /// Removes the leases that have lapsed and returns them; their prefixes stay blocked until
    /// <see cref="Cleaned"/> says their orders are cancelled.
    /// </summary>
    public IReadOnlyList<ClientLease> TakeLapsed()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var lapsed = _byId.Values.Where(l => l.ExpiresAt <= now).ToArray();
            foreach (var lease in lapsed)
            {
                _byId.Remove(lease.Id);
                _cleaning.Add(lease.Prefix);
            }

            return lapsed;
        }
    }

    /// <summary>The orders of a lapsed lease are cancelled: its prefix may be taken again.</summary>
    public void Cleaned(string prefix)
    {
        lock (_gate)
        {
            _cleaning.Remove(prefix);
        }
    }

    /// <summary>Two prefixes overlap when one client's ids could start with the other's prefix.</summary>
    private static bool Overlaps(string a, string b) =>
        a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PrefixPattern();
}
