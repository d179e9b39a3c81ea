using System.Text;

namespace OpenSqt.Backtest.Data;

/// <summary>
/// What the two Binance history files share: the rows of one file streamed through <see cref="CsvLineSource"/>, an
/// optional header line (Binance's, or the ExchangeConnector's recorded one with a trailing <c>receive_time_us</c>
/// column), the first row read at open (a file without one is refused) and kept as <see cref="First"/>. A subclass
/// parses and checks one row.
/// </summary>
public abstract class HistoryFile<T> : IDisposable
    where T : struct
{
    private const string ReceiveTime = "receive_time_us";
    private readonly CsvLineSource _source;
    private readonly string _header;
    private readonly string _row;
    private readonly string _kind;
    private bool _hasPending;
    private T _pending;

    private protected HistoryFile(CsvLineSource source, string header, string row, string kind)
    {
        _source = source;
        _header = header;
        _row = row;
        _kind = kind;
    }

    public string Path => _source.Path;

    /// <summary>The first row of the file (read at open).</summary>
    public T First { get; private set; }

    private protected CsvLineSource Source => _source;

    /// <summary>True when the header is the recorded one: every row then ends with the local receive time.</summary>
    private protected bool Recorded { get; private set; }

    public bool TryRead(out T row)
    {
        if (_hasPending)
        {
            _hasPending = false;
            row = _pending;
            return true;
        }

        return ReadRow(out row);
    }

    public void Dispose() => _source.Dispose();

    /// <summary>Reads the first row (after the header, if any); a file without one is refused and closed.</summary>
    private protected void ReadFirst()
    {
        try
        {
            var any = _source.TryReadLine(out var line);
            any = any && (IsHeader(line) ? ReadRow(out _pending) : Parsed(line, out _pending));
            if (!any)
            {
                throw new DataFormatException($"{_source.Path}: the file holds no {_row}s");
            }

            First = _pending;
            _hasPending = true;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Parses and checks one row, or throws <see cref="DataFormatException"/> naming the file and line.</summary>
    private protected abstract T Parse(ReadOnlySpan<byte> line);

    /// <summary>The end of a row of <paramref name="columns"/> columns, plus the receive time in a recorded file.</summary>
    private protected void End(ref CsvFields fields, int columns)
    {
        if (Recorded)
        {
            fields.Long(ReceiveTime);
        }

        fields.End(Recorded ? columns + 1 : columns);
    }

    private bool Parsed(ReadOnlySpan<byte> line, out T row)
    {
        row = Parse(line);
        return true;
    }

    private bool ReadRow(out T row)
    {
        if (!_source.TryReadLine(out var line))
        {
            row = default;
            return false;
        }

        return Parsed(line, out row);
    }

    private bool IsHeader(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty || char.IsAsciiDigit((char)line[0]))
        {
            return false;
        }

        if (_source.LineNumber == 1 && Ascii.EqualsIgnoreCase(line, Encoding.ASCII.GetBytes(_header + "," + ReceiveTime)))
        {
            Recorded = true;
            return true;
        }

        if (_source.LineNumber != 1 || !Ascii.EqualsIgnoreCase(line, Encoding.ASCII.GetBytes(_header)))
        {
            throw new DataFormatException(_source.Path, _source.LineNumber,
                $"'{Encoding.UTF8.GetString(line[..Math.Min(line.Length, 120)])}' is neither a {_row} nor the {_kind} header '{_header}'");
        }

        return true;
    }
}
