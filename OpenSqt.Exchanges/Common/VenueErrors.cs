using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>What a venue error code means to OpenSqt.</summary>
/// <param name="Kind">The shared kind; its transient flag follows from it.</param>
/// <param name="IsClockError">The venue refused the request's timestamp: resync the clock and retry once (the request was not executed).</param>
/// <param name="Explanation">Added to the venue's message when set.</param>
internal sealed record VenueErrorInfo(ExchangeErrorKind Kind, bool IsClockError = false, string? Explanation = null);

/// <summary>
/// A venue's error table: its codes mapped onto <see cref="ExchangeErrorKind"/>. Nothing branches on message text.
/// Each venue declares one in its <c>XxxErrors.cs</c>.
/// </summary>
internal sealed class VenueErrorTable
{
    private readonly string _venue;
    private readonly Dictionary<string, VenueErrorInfo> _codes;

    public VenueErrorTable(string venue, IReadOnlyDictionary<string, VenueErrorInfo> codes)
    {
        _venue = venue;
        _codes = new Dictionary<string, VenueErrorInfo>(codes, StringComparer.Ordinal);
    }

    public VenueErrorInfo? Find(string code) => _codes.GetValueOrDefault(code);

    /// <summary>
    /// Builds the exception for a venue error. Unknown codes are <see cref="ExchangeErrorKind.Rejected"/> when the venue
    /// answered 4xx and <see cref="ExchangeErrorKind.Unavailable"/> on 5xx.
    /// </summary>
    public VenueFailure ToFailure(string code, string? message, int httpStatus, TimeSpan? retryAfter = null)
    {
        var info = Find(code) ?? new VenueErrorInfo(httpStatus >= 500 ? ExchangeErrorKind.Unavailable : ExchangeErrorKind.Rejected);
        var text = $"{_venue} error {code}: {message}";
        if (info.Explanation is { } explanation)
        {
            text = $"{text} ({explanation})";
        }

        return new VenueFailure(new ExchangeException(info.Kind, text, retryAfter: retryAfter, venueCode: code), info.IsClockError);
    }
}

/// <summary>A mapped venue failure and whether it was a clock error.</summary>
internal sealed record VenueFailure(ExchangeException Exception, bool IsClockError);
