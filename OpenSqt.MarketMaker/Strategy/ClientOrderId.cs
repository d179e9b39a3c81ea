using System.Diagnostics.CodeAnalysis;
using OpenSqt.Contracts;

namespace OpenSqt.MarketMaker.Strategy;

/// <summary>What a client order id says about its order.</summary>
public readonly record struct ClientOrderIdParts(string Book, string SymbolTag, OrderSide Side, OrderRole Role, long Level, long Sequence);

/// <summary>
/// The engine's client order ids: deterministic, unique and valid on every venue (ASCII letters and digits, at most 32
/// characters). Layout: book (4, this state file's id) + symbol tag (3) + side (B/S) + role (O open, C close) +
/// level sign (P/M) + level (lower-case base 36) + X + sequence (lower-case base 36, persisted per symbol).
/// Side is encoded from the order's real side (OpenSQT wrote "B" for every order).
/// </summary>
public static class ClientOrderId
{
    public const int MaxLength = 32;
    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    private const string Upper = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    public static string Create(string book, string symbolTag, OrderRole role, long level, long sequence)
    {
        if (book.Length != 4 || symbolTag.Length != 3)
        {
            throw new ArgumentException("book must have 4 characters and the symbol tag 3");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        var side = role.Side() == OrderSide.Buy ? 'B' : 'S';
        var kind = role.Opens() ? 'O' : 'C';
        var magnitude = Math.Abs(level);
        var length = 4 + 3 + 3 + Base36Length(magnitude) + 1 + Base36Length(sequence);
        if (length > MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(level), "client order id would exceed 32 characters");
        }

        // One string, written in place: an order's id is made on its way out to the venue.
        return string.Create(length, (book, symbolTag, side, kind, sign: level < 0 ? 'M' : 'P', magnitude, sequence), static (id, parts) =>
        {
            parts.book.CopyTo(id);
            parts.symbolTag.CopyTo(id[4..]);
            id[7] = parts.side;
            id[8] = parts.kind;
            id[9] = parts.sign;
            var levelEnd = 10 + Base36Length(parts.magnitude);
            WriteBase36(id[10..levelEnd], parts.magnitude);
            id[levelEnd] = 'X';
            WriteBase36(id[(levelEnd + 1)..], parts.sequence);
        });
    }

    private static int Base36Length(long value)
    {
        var length = 1;
        while (value >= 36)
        {
            value /= 36;
            length++;
        }

        return length;
    }

    /// <summary>Writes <paramref name="value"/> in lower-case base 36 into all of <paramref name="digits"/> (its exact length).</summary>
    private static void WriteBase36(Span<char> digits, long value)
    {
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            digits[i] = Digits[(int)(value % 36)];
            value /= 36;
        }
    }

    public static bool TryParse(string? id, [NotNullWhen(true)] out ClientOrderIdParts? parts)
    {
        parts = null;
        if (id is null || id.Length < 12 || id.Length > MaxLength)
        {
            return false;
        }

        var side = id[7] switch { 'B' => OrderSide.Buy, 'S' => (OrderSide?)OrderSide.Sell, _ => null };
        var opens = id[8] switch { 'O' => true, 'C' => (bool?)false, _ => null };
        var sign = id[9] switch { 'P' => 1, 'M' => -1, _ => 0 };
        var x = id.IndexOf('X', 10);
        if (side is null || opens is null || sign == 0 || x <= 10 || x == id.Length - 1)
        {
            return false;
        }

        if (!TryFromBase36(id.AsSpan(10, x - 10), out var level) || !TryFromBase36(id.AsSpan(x + 1), out var sequence))
        {
            return false;
        }

        var role = (side, opens) switch
        {
            (OrderSide.Buy, true) => OrderRole.OpenLong,
            (OrderSide.Sell, false) => OrderRole.CloseLong,
            (OrderSide.Sell, true) => OrderRole.OpenShort,
            _ => OrderRole.CloseShort,
        };
        parts = new ClientOrderIdParts(id[..4], id[4..7], side.Value, role, sign * level, sequence);
        return true;
    }

    /// <summary>Whether <paramref name="id"/> is valid on every venue.</summary>
    public static bool IsValid(string id) => id.Length is > 0 and <= MaxLength && id.All(char.IsAsciiLetterOrDigit);

    /// <summary>A 3-character tag of the symbol (stable hash), so ids of different symbols never meet.</summary>
    public static string SymbolTag(string symbol)
    {
        uint hash = 2166136261;
        foreach (var c in symbol)
        {
            hash = (hash ^ c) * 16777619;
        }

        return new string([Upper[(int)(hash % 36)], Upper[(int)(hash / 36 % 36)], Upper[(int)(hash / 1296 % 36)]]);
    }

    /// <summary>A new random 4-character book id, made once per state file.</summary>
    public static string NewBook()
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            chars[i] = Upper[System.Security.Cryptography.RandomNumberGenerator.GetInt32(10, 36)];
        }

        return new string(chars);
    }

    private static bool TryFromBase36(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 12)
        {
            return false;
        }

        foreach (var c in text)
        {
            var digit = Digits.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                return false;
            }

            value = (value * 36) + digit;
        }

        return true;
    }
}
