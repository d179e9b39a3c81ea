using System.IO.Compression;

namespace OpenSqt.Backtest.Data;

/// <summary>
/// Reads a CSV file (plain, gzip-compressed as the connector records it, or the single CSV inside a .zip, as
/// data.binance.vision ships them) line by line through one
/// reusable byte buffer: nothing is loaded whole and a line costs no allocation. Lines end in LF or CRLF. A blank line
/// is refused unless only blank lines follow it (a trailing newline).
/// </summary>
internal sealed class CsvLineSource : IDisposable
{
    private const int InitialBuffer = 1 << 16;
    private readonly Stream _stream;
    private readonly ZipArchive? _zip;
    private byte[] _buffer = new byte[InitialBuffer];
    private int _start;
    private int _end;
    private bool _eof;
    private long _pendingBlank;

    private CsvLineSource(string path, Stream stream, ZipArchive? zip)
    {
        Path = path;
        _stream = stream;
        _zip = zip;
    }

    /// <summary>The file's path as given, for messages.</summary>
    public string Path { get; }

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public static CsvLineSource Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            // The ExchangeConnector's recordings (Recording__Path) are gzip-compressed CSV.
            return new CsvLineSource(path, new GZipStream(file, CompressionMode.Decompress), null);
        }

        if (!path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            return new CsvLineSource(path, file, null);
        }

        ZipArchive zip;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read);
        }
        catch (InvalidDataException ex)
        {
            file.Dispose();
            throw new DataFormatException($"{path}: not a readable zip archive ({ex.Message})");
        }

        var entries = zip.Entries.Where(e => e.FullName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)).ToList();
        if (entries.Count != 1)
        {
            zip.Dispose();
            throw new DataFormatException($"{path}: a zip must hold exactly one .csv file, it holds {entries.Count}");
        }

        return new CsvLineSource(path + "!" + entries[0].FullName, entries[0].Open(), zip);
    }

    /// <summary>The next non-blank line without its line end; false at the end of the file.</summary>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline < 0 && !_eof)
            {
                Fill();
                continue;
            }

            if (newline < 0 && _start == _end)
            {
                line = default;
                return false;
            }

            var length = newline < 0 ? _end - _start : newline;
            var raw = _buffer.AsSpan(_start, length);
            _start += newline < 0 ? length : length + 1;
            LineNumber++;
            if (raw.Length > 0 && raw[^1] == (byte)'\r')
            {
                raw = raw[..^1];
            }

            if (raw.IsEmpty)
            {
                _pendingBlank = _pendingBlank == 0 ? LineNumber : _pendingBlank;
                continue;
            }

            if (_pendingBlank != 0)
            {
                throw new DataFormatException(Path, _pendingBlank, "blank line inside the data");
            }

            line = raw;
            return true;
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read;
        try
        {
            read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (InvalidDataException ex)
        {
            throw new DataFormatException($"{Path}: the compressed data is damaged after line {LineNumber} ({ex.Message})");
        }

        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _zip?.Dispose();
    }
}
