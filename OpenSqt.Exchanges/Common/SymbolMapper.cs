using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// Maps OpenSqt symbols (<c>BTCUSDT</c>) to a venue's own form and back. Venues that write the symbol the same way
/// (Binance, Bybit, Bitget) use <see cref="Identity"/>; Gate (<c>BTC_USDT</c>) and OKX (<c>BTC-USDT-SWAP</c>) use
/// <see cref="Delimited"/>.
/// </summary>
internal sealed class SymbolMapper
{
    private static readonly string[] DefaultQuotes = ["USDT", "USDC", "USD"];
    private readonly string _separator;
    private readonly string _suffix;
    private readonly string[] _quotes;

    private SymbolMapper(string separator, string suffix, string[] quotes)
    {
        _separator = separator;
        _suffix = suffix;
        _quotes = quotes;
    }

    /// <summary>The venue writes symbols exactly as OpenSqt does.</summary>
    public static SymbolMapper Identity { get; } = new("", "", DefaultQuotes);

    /// <summary>The venue writes <c>BASE{separator}QUOTE{suffix}</c>, for example <c>("_", "")</c> or <c>("-", "-SWAP")</c>.</summary>
    public static SymbolMapper Delimited(string separator, string suffix = "", IReadOnlyList<string>? quoteAssets = null) =>
        new(separator, suffix, quoteAssets is null ? DefaultQuotes : [.. quoteAssets]);

    public string ToVenue(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        if (_separator.Length == 0 && _suffix.Length == 0)
        {
            return symbol;
        }

        foreach (var quote in _quotes)
        {
            if (symbol.Length > quote.Length && symbol.EndsWith(quote, StringComparison.Ordinal))
            {
                return string.Concat(symbol.AsSpan(0, symbol.Length - quote.Length), _separator, quote, _suffix);
            }
        }

        throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
            $"symbol '{symbol}' does not end in a known quote asset ({string.Join(", ", _quotes)})");
    }

    public string FromVenue(string venueSymbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(venueSymbol);
        if (_separator.Length == 0 && _suffix.Length == 0)
        {
            return venueSymbol;
        }

        var core = _suffix.Length > 0 && venueSymbol.EndsWith(_suffix, StringComparison.Ordinal)
            ? venueSymbol[..^_suffix.Length]
            : venueSymbol;
        return core.Replace(_separator, "", StringComparison.Ordinal);
    }
}
