using System.ComponentModel.DataAnnotations;

namespace OpenSqt.ExchangeConnector.Recording;

/// <summary>
/// Section <c>Recording</c> (environment <c>Recording__Path</c>, <c>Recording__Symbols</c>): the connector records what it
/// receives from the venue for the replay (<c>OpenSqt.Backtest</c>). Off while <see cref="Path"/> is empty.
/// </summary>
public sealed class RecordingOptions : IValidatableObject
{
    public const string SectionName = "Recording";

    /// <summary>The folder the recordings go to, one sub-folder per venue and symbol; empty turns recording off.</summary>
    public string? Path { get; set; }

    /// <summary>The symbols to record, separated by commas (<c>BTCUSDT,ETHUSDT</c>); required when recording.</summary>
    public string? Symbols { get; set; }

    /// <summary>
    /// Records held between the streams and the file writer. When the writer falls this far behind, new records are
    /// dropped (counted and logged): recording never slows down or blocks a stream that trading depends on.
    /// </summary>
    [Range(16, 10_000_000)]
    public int BufferSize { get; set; } = 65_536;

    /// <summary>How often the files are flushed to disk: a crash loses at most this much of the recording.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    public bool Enabled => !string.IsNullOrWhiteSpace(Path);

    /// <summary>The symbols, trimmed and upper-case.</summary>
    public IReadOnlyList<string> SymbolList =>
        (Symbols ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant()).Distinct().ToArray();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (SymbolList.Count == 0)
        {
            yield return new ValidationResult($"{SectionName}:Symbols is required when {SectionName}:Path is set: the symbols to record, separated by commas (BTCUSDT,ETHUSDT)", [nameof(Symbols)]);
        }

        foreach (var symbol in SymbolList.Where(s => !s.All(char.IsAsciiLetterOrDigit)))
        {
            yield return new ValidationResult($"{SectionName}:Symbols '{symbol}' is not a symbol: letters and digits only (BTCUSDT)", [nameof(Symbols)]);
        }

        if (Path!.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            yield return new ValidationResult($"{SectionName}:Path '{Path}' is not a valid folder path", [nameof(Path)]);
        }
    }
}
