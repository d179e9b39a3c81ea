using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Okx;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>A venue's interval names, one table read both ways: requests get the venue's name, answers ours back.</summary>
public sealed class VenueIntervalsTests
{
    private static readonly string[] Ours = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"];

    [Fact]
    public void EachIntervalGoesToTheVenueNameAndBack()
    {
        var intervals = new VenueIntervals("test", ("1m", "1"), ("1h", "60"), ("1d", "D"));
        Assert.Equal("60", intervals.ToVenue("1h"));
        Assert.Equal("1d", intervals.FromVenue("D"));
        Assert.Equal(["1", "60", "D"], new[] { "1m", "1h", "1d" }.Select(intervals.ToVenue));
    }

    [Fact]
    public void AnIntervalNotOfferedIsTheCallersErrorListingTheOfferedOnes()
    {
        var intervals = new VenueIntervals("test", ("1m", "1"), ("1h", "60"), ("1d", "D"));
        var refused = Assert.Throws<ExchangeException>(() => intervals.ToVenue("2h"));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("interval '2h' is not offered by test; use 1m, 1h or 1d", refused.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ExchangeException>(() => intervals.FromVenue("120"));
        Assert.Equal(ExchangeErrorKind.Internal, unknown.Kind);
        Assert.Contains("test sent an unknown interval '120'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameTwiceInTheTableIsRefused() =>
        Assert.Throws<ArgumentException>(() => new VenueIntervals("test", ("1m", "1"), ("3m", "1")));

    [Fact]
    public void BybitAndOkxNameEveryIntervalTheyOfferAndReadTheirNamesBack()
    {
        Assert.Equal(["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D"], Ours.Select(BybitParsers.FormatInterval));
        Assert.Equal(["1m", "3m", "5m", "15m", "30m", "1H", "2H", "4H", "6Hutc", "12Hutc", "1Dutc"], Ours.Select(OkxParsers.FormatBar));
        Assert.Equal(Ours, Ours.Select(i => BybitParsers.ParseInterval(BybitParsers.FormatInterval(i))));
        Assert.Equal(Ours, Ours.Select(i => OkxParsers.ParseBar(OkxParsers.FormatBar(i))));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, Assert.Throws<ExchangeException>(() => BybitParsers.FormatInterval("8h")).Kind);
    }
}
