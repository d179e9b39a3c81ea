using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// Lenient reading of venue JSON: every venue sends prices and quantities as strings in most places and as numbers in
/// others (Binance ids, Gate sizes, Bybit kline times), so every number is read from either form, always into
/// <see cref="decimal"/> (never <see cref="double"/>). A malformed value throws an <see cref="ExchangeException"/>
/// of kind <see cref="ExchangeErrorKind.Internal"/> that names the field.
/// </summary>
internal static class VenueJson
{
    /// <summary>A JSON text written by <paramref name="write"/> (request bodies, signed as sent).</summary>
    public static string Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Stream subscriptions name at least one symbol.</summary>
    public static void RequireSymbols(IReadOnlyCollection<string> symbols)
    {
        if (symbols is null || symbols.Count == 0)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "at least one symbol is required");
        }
    }

    /// <summary>A history request asks for 1 to <paramref name="max"/> items (the venue's most a call).</summary>
    public static void RequireLimit(int limit, int max)
    {
        if (limit <= 0 || limit > max)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"limit {limit} must be between 1 and {max}");
        }
    }

    /// <summary>Reads a decimal from a JSON string or number; null, "" and a missing value are zero.</summary>
    public static decimal GetDecimal(this JsonElement element, string property)
    {
        return element.TryGetProperty(property, out var value) ? ToDecimal(value, property) : 0m;
    }

    /// <summary>Reads a decimal from a JSON string or number; null when absent, null or empty.</summary>
    public static decimal? GetDecimalOrNull(this JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && value.GetString() is "" or null)
        {
            return null;
        }

        return ToDecimal(value, property);
    }

    /// <summary>Converts one JSON value (string or number) to a decimal; null and "" are zero.</summary>
    public static decimal ToDecimal(JsonElement value, string field)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (value.TryGetDecimal(out var number))
                {
                    return number;
                }

                break;
            case JsonValueKind.String:
                var text = value.GetString();
                if (string.IsNullOrEmpty(text))
                {
                    return 0m;
                }

                if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }

                break;
            case JsonValueKind.Null:
                return 0m;
        }

        throw Malformed(field, value.GetRawText());
    }

    /// <summary>Reads an integer (id, timestamp) from a JSON string or number; 0 when absent or null.</summary>
    public static long GetInt64(this JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var value))
        {
            return 0;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) => s,
            JsonValueKind.String when string.IsNullOrEmpty(value.GetString()) => 0,
            JsonValueKind.Null => 0,
            _ => throw Malformed(property, value.GetRawText()),
        };
    }

    /// <summary>Reads a string; numbers are returned as their invariant text (ids sent as numbers). Null when absent.</summary>
    public static string? GetStringOrNull(this JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }

    /// <summary>Reads a required string; a missing one is an <see cref="ExchangeErrorKind.Internal"/> error naming the field.</summary>
    public static string GetRequiredString(this JsonElement element, string property) =>
        element.GetStringOrNull(property) ?? throw new ExchangeException(ExchangeErrorKind.Internal, $"venue answer lacks the field '{property}'");

    /// <summary>Reads a boolean from true/false or "true"/"false"; false when absent.</summary>
    public static bool GetBoolean(this JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            JsonValueKind.String => string.Equals(value.GetString(), "true", StringComparison.OrdinalIgnoreCase),
            _ => throw Malformed(property, value.GetRawText()),
        };
    }

    /// <summary>Reads the current token of a <see cref="Utf8JsonReader"/> (string or number) as a decimal, without allocating.</summary>
    public static decimal ReadDecimal(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (!reader.HasValueSequence && TryParsePlainDecimal(reader.ValueSpan, out var plain))
                {
                    return plain;
                }

                if (reader.TryGetDecimal(out var number))
                {
                    return number;
                }

                break;
            case JsonTokenType.String:
                var span = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                if (span.Length == 0)
                {
                    return 0m;
                }

                if (TryParsePlainDecimal(span, out var fast))
                {
                    return fast;
                }

                if (Utf8Parser.TryParse(span, out decimal parsed, out var consumed) && consumed == span.Length)
                {
                    return parsed;
                }

                if (Utf8Parser.TryParse(span, out parsed, out consumed, 'E') && consumed == span.Length)
                {
                    return parsed;
                }

                break;
            case JsonTokenType.Null:
                return 0m;
        }

        throw Malformed(field, reader.TokenType.ToString());
    }

    /// <summary>
    /// The fast path for the form venues use almost always: an optional minus, digits, an optional point and digits,
    /// at most 19 digits in all (exact in a 64-bit mantissa). Anything else (exponent, more digits) is left to the
    /// general parser. Keeps the scale as written, as <see cref="decimal.Parse(string)"/> does.
    /// </summary>
    public static bool TryParsePlainDecimal(ReadOnlySpan<byte> text, out decimal value)
    {
        value = 0m;
        var i = 0;
        var negative = false;
        if (text.Length > 0 && text[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        if (i >= text.Length)
        {
            return false;
        }

        ulong mantissa = 0;
        var digits = 0;
        var scale = -1;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == (byte)'.')
            {
                if (scale >= 0 || digits == 0)
                {
                    return false;
                }

                scale = 0;
                continue;
            }

            var d = (uint)(c - '0');
            if (d > 9 || ++digits > 19)
            {
                return false;
            }

            mantissa = (mantissa * 10) + d;
            if (scale >= 0)
            {
                scale++;
            }
        }

        if (digits == 0 || scale == 0)
        {
            return false;
        }

        value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, negative, (byte)Math.Max(scale, 0));
        return true;
    }

    /// <summary>Reads the current token (string or number) as a 64-bit integer.</summary>
    public static long ReadInt64(ref Utf8JsonReader reader, string field)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var number))
                {
                    return number;
                }

                break;
            case JsonTokenType.String:
                var span = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                if (span.Length == 0)
                {
                    return 0;
                }

                if (Utf8Parser.TryParse(span, out long parsed, out var consumed) && consumed == span.Length)
                {
                    return parsed;
                }

                break;
            case JsonTokenType.Null:
                return 0;
        }

        throw Malformed(field, reader.TokenType.ToString());
    }

    /// <summary>
    /// Whether <paramref name="ex"/> says a pushed item is malformed: a bad number or a missing field
    /// (<see cref="ExchangeException"/>), a value of the wrong JSON kind, a missing property or array element, a time out
    /// of range (<see cref="ArgumentOutOfRangeException"/> from <see cref="DateTimeOffset.FromUnixTimeMilliseconds"/>). A stream
    /// skips such an item (logged and counted) and goes on.
    /// </summary>
    public static bool IsMalformed(Exception ex) =>
        ex is ExchangeException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or FormatException or OverflowException
            or ArgumentOutOfRangeException;

    /// <summary>A required positive decimal (a trade's price or size); absent, zero or negative is malformed.</summary>
    public static decimal GetPositiveDecimal(this JsonElement element, string property) =>
        element.GetDecimal(property) is > 0m and var value ? value : throw new ExchangeException(ExchangeErrorKind.Internal, $"venue sent no positive '{property}'");

    /// <summary>Formats a decimal the way venues expect in requests: invariant, no exponent, no trailing zeros.</summary>
    public static string Format(decimal value) => value.Normalize().ToString(CultureInfo.InvariantCulture);

    private static ExchangeException Malformed(string field, string value) =>
        new(ExchangeErrorKind.Internal, $"venue sent a malformed number in '{field}': {value}");
}
