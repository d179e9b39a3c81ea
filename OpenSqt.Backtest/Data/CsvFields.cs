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
        return long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Fail($"{column} '{Text(field)}' is not an integer");
    }

    /// <summary>A decimal in plain notation (Binance writes prices and quantities as "95000.10", never with an exponent).</summary>
    public decimal Decimal(string column, bool positive)
    {
        var field = Next(column);
        if (!decimal.TryParse(field, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
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

    private static string Text(ReadOnlySpan<byte> field) =>
        field.Length > 40 ? Encoding.UTF8.GetString(field[..40]) + "..." : Encoding.UTF8.GetString(field);
}
