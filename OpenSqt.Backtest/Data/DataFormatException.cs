namespace OpenSqt.Backtest.Data;

/// <summary>Market data the replay refuses: a malformed row, an empty file, rows out of order, files that overlap.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string message)
        : base(message)
    {
    }

    public DataFormatException(string file, long line, string problem)
        : base($"{file}:{line}: {problem}")
    {
        File = file;
        Line = line;
    }

    /// <summary>The file at fault, when one is.</summary>
    public string? File { get; }

    /// <summary>The 1-based line at fault, when one is.</summary>
    public long Line { get; }
}
