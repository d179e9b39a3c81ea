using OpenSqt.Backtest.Output;

namespace OpenSqt.Backtest.Tests;

/// <summary>What two replays of the same data are compared on.</summary>
internal static class ReplayOutputs
{
    /// <summary>
    /// The lines of <c>fills.csv</c> in <paramref name="outDir"/>, each client order id without its first four characters:
    /// they are the state's own book id, new for every state; the rest of two equal replays' fills is the same.
    /// </summary>
    public static string[] FillsWithoutBook(string outDir) => File.ReadAllLines(Path.Combine(outDir, ReportWriter.FillsFile))
        .Select(l => string.Join(',', l.Split(',').Select((f, i) => i == 5 && f.Length > 4 ? f[4..] : f)))
        .ToArray();
}
