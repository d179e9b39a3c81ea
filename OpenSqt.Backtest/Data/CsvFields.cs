using System.Globalization;
using System.Text;

namespace OpenSqt.Backtest.Data;

/// <summary>Splits and parses the comma-separated fields of one line in place, without allocating.</summary>
internal ref struct CsvFields(ReadOnlySpan<byte> line, CsvLineSource source)
{
    private ReadOnlySpan<byte> _rest = line;
    private bool _done;
    private int _index;

    public readonly bool AtEnd => _done;

    public ReadOnlySpan<byte> Next(string column)
    {
        if (_done)
        {
            throw Fail($"too few columns: '{column}' (column {_index + 1}) is missing");
        }

        _index++;
        var comma = _rest.IndexOf((byte)',');
        ReadOnlySpan<byte> field;
        if (comma < 0)
        {
            field = _rest;
            _done = true;
        }
        else
        {
            field = _rest[..comma];
            _rest = _rest[(comma + 1)..];
        }

        return field;
    }

    public long Long(string column)
    {
        var field = Next(column);
        if (TryDigits(field, out var digits))
        {
            return digits;
        }

        return long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Fail($"{column} '{Text(field)}' is not an integer");
    }

    /// <summary>A decimal in plain notation (Binance writes prices and quantities as "95000.10", never with an exponent).</summary>
    public decimal Decimal(string column, bool positive)
    {
        var field = Next(column);
        if (!TryPlainDecimal(field, out var value) && !decimal.TryParse(field, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value))
        {
            throw Fail($"{column} '{Text(field)}' is not a non-negative decimal number");
        }

        return positive && value <= 0 ? throw Fail($"{column} '{Text(field)}' must be positive") : value;
    }

    public bool Bool(string column)
    {
        var field = Next(column);
        if (field.SequenceEqual("true"u8) || field.SequenceEqual("True"u8) || field.SequenceEqual("TRUE"u8))
        {
            return true;
        }

        if (field.SequenceEqual("false"u8) || field.SequenceEqual("False"u8) || field.SequenceEqual("FALSE"u8))
        {
            return false;
        }

        throw Fail($"{column} '{Text(field)}' is neither true nor false");
    }

    /// <summary>Checks that nothing follows the last expected column.</summary>
    public readonly void End(int expected)
    {
        if (!_done)
        {
            throw Fail($"too many columns: expected {expected}");
        }
    }

    public readonly DataFormatException Fail(string problem) => new(source.Path, source.LineNumber, problem);

    /// <summary>
    /// The field as a number when it is 1 to 18 ASCII digits (below 10^18: no overflow), as every id and time in the
    /// files is; anything else (a sign, more digits, other characters) is left to <see cref="long.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out long)"/>.
    /// The import reads four of these per trade, and the framework's general parser was a fifth of its time.
    /// </summary>
    private static bool TryDigits(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        if (field.Length is 0 or > 18)
        {
            return false;
        }

        foreach (var b in field)
        {
            var digit = (uint)(b - '0');
            if (digit > 9)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    /// <summary>
    /// The field as a decimal when it is 1 to 18 ASCII digits with at most one point among them, as every price and
    /// quantity in the files is: the same value and scale (trailing zeros after the point kept, "95000.10" has two
    /// decimals) as <see cref="decimal.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out decimal)"/>
    /// with <see cref="NumberStyles.AllowDecimalPoint"/> gives; anything else is left to it.
    /// </summary>
    private static bool TryPlainDecimal(ReadOnlySpan<byte> field, out decimal value)
    {
        value = 0;
        ulong mantissa = 0;
        var digits = 0;
        var scale = 0;
        var point = false;
        foreach (var b in field)
        {
            if (b == '.' && !point)
            {
                point = true;
                continue;
            }

            var digit = (uint)(b - '0');
            if (digit > 9 || ++digits > 18)
            {
                return false;
            }

            mantissa = (mantissa * 10) + digit;
            scale += point ? 1 : 0;
        }

        if (digits == 0)
        {
            return false;
        }

        value = new decimal((int)(uint)mantissa, (int)(uint)(mantissa >> 32), 0, isNegative: false, (byte)scale);
        return true;
    }

    private static string Text(ReadOnlySpan<byte> field) =>
        field.Length > 40 ? Encoding.UTF8.GetString(field[..40]) + "..." : Encoding.UTF8.GetString(field);
}
