using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// A venue's names of the kline intervals it offers, as one table read both ways: OpenSqt's interval (<c>1m</c> …
/// <c>1d</c>) to the venue's name for requests and subscriptions, and the venue's name in its answers back.
/// </summary>
internal sealed class VenueIntervals
{
    private readonly string _venue;
    private readonly Dictionary<string, string> _toVenue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fromVenue = new(StringComparer.Ordinal);
    private readonly string _offered;

    /// <param name="venue">The venue, for messages.</param>
    /// <param name="names">Each interval the venue offers with the venue's name of it, in the order a message lists them.</param>
    public VenueIntervals(string venue, params (string Interval, string VenueName)[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentOutOfRangeException.ThrowIfLessThan(names.Length, 2);
        _venue = venue;
        foreach (var (interval, venueName) in names)
        {
            _toVenue.Add(interval, venueName);
            _fromVenue.Add(venueName, interval);
        }

        _offered = string.Join(", ", names[..^1].Select(n => n.Interval)) + " or " + names[^1].Interval;
    }

    /// <summary>The venue's name of <paramref name="interval"/>; an interval the venue does not offer is the caller's error.</summary>
    public string ToVenue(string interval) =>
        _toVenue.TryGetValue(interval, out var name)
            ? name
            : throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"interval '{interval}' is not offered by {_venue}; use {_offered}");

    /// <summary>OpenSqt's interval of the venue's <paramref name="venueName"/>; an unknown one is the venue's surprise.</summary>
    public string FromVenue(string venueName) =>
        _fromVenue.TryGetValue(venueName, out var interval)
            ? interval
            : throw new ExchangeException(ExchangeErrorKind.Internal, $"{_venue} sent an unknown interval '{venueName}'");
}
