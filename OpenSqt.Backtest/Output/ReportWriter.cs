using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using OpenSqt.Backtest.Replay;

namespace OpenSqt.Backtest.Output;

/// <summary>The summary in <c>summary.json</c>.</summary>
public sealed record Summary(
    string Symbol,
    long Events,
    long Trades,
    double EventsPerSecond,
    int Fills,
    int RoundTrips,
    decimal RealisedPnl,
    decimal Fees,
    decimal Funding,
    decimal FinalPosition,
    decimal Equity,
    decimal MaxDrawdown,
    DateTimeOffset Start,
    DateTimeOffset End,
    string QueueModel,
    double OrderLatencyMs,
    bool BookData)
{
    public static Summary Of(ReplayResult r) => new(r.Symbol, r.Events, r.Trades, Math.Round(r.EventsPerSecond, 1), r.Fills.Count, r.RoundTrips,
        Math.Round(r.RealisedPnl, 8), Math.Round(r.Fees, 8), Math.Round(r.Funding, 8), r.FinalPosition, Math.Round(r.Equity, 8), Math.Round(r.MaxDrawdown, 8),
        r.Start, r.End, r.QueueModel, r.OrderLatency.TotalMilliseconds, r.HasBook);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(Summary))]
[JsonSerializable(typeof(ReportData))]
internal sealed partial class BacktestJson : JsonSerializerContext;

/// <summary>What the report's script draws.</summary>
internal sealed record ReportData(Summary Summary, long[] Time, decimal[] Price, decimal[] Equity, decimal[] Position, decimal[] Drawdown, decimal[] Fees, FillPoint[] Fills);

internal sealed record FillPoint(long Time, string Side, decimal Price, decimal Quantity, decimal Fee, bool Maker, string ClientOrderId);

/// <summary>
/// Writes the three outputs of a replay. Each goes to a temporary name first and is renamed when complete; the outputs
/// of an earlier run are removed before a run starts, so a failed run leaves no report that looks complete.
/// </summary>
public static class ReportWriter
{
    public const string SummaryFile = "summary.json";
    public const string FillsFile = "fills.csv";
    public const string ReportFile = "report.html";

    /// <summary>The fills.csv header: one line per fill.</summary>
    public const string FillsHeader = "time,side,price,quantity,fee,client_order_id,maker,placed_at,arrived_at";

    /// <summary>Removes the outputs of an earlier run from <paramref name="directory"/>.</summary>
    public static void Clear(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var name in new[] { SummaryFile, FillsFile, ReportFile })
        {
            File.Delete(Path.Combine(directory, name));
        }
    }

    public static void Write(string directory, ReplayResult result)
    {
        Directory.CreateDirectory(directory);
        var summary = Summary.Of(result);
        WriteAtomically(Path.Combine(directory, FillsFile), writer =>
        {
            writer.Write(FillsHeader);
            writer.Write('\n');
            foreach (var f in result.Fills)
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{f.Time:yyyy-MM-ddTHH:mm:ss.fffZ},{(f.Side == Contracts.OrderSide.Buy ? "BUY" : "SELL")},{f.Price},{f.Quantity},{f.Fee},{f.ClientOrderId},{(f.IsMaker ? "true" : "false")},{f.PlacedAt:yyyy-MM-ddTHH:mm:ss.fffZ},{f.ArrivedAt:yyyy-MM-ddTHH:mm:ss.fffZ}\n"));
            }
        });
        WriteAtomically(Path.Combine(directory, ReportFile), writer => writer.Write(Html(summary, result)));
        WriteAtomically(Path.Combine(directory, SummaryFile), writer => writer.Write(JsonSerializer.Serialize(summary, BacktestJson.Default.Summary)));
    }

    private static void WriteAtomically(string path, Action<StreamWriter> write)
    {
        var temporary = path + ".partial";
        using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(false)))
        {
            write(writer);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string Html(Summary summary, ReplayResult result)
    {
        var samples = result.Samples;
        var data = new ReportData(
            summary,
            samples.Select(s => s.TimeMs).ToArray(),
            samples.Select(s => s.Price).ToArray(),
            samples.Select(s => Math.Round(s.Equity, 4)).ToArray(),
            samples.Select(s => s.Position).ToArray(),
            samples.Select(s => Math.Round(s.Drawdown, 4)).ToArray(),
            samples.Select(s => Math.Round(s.Fees, 4)).ToArray(),
            result.Fills.Select(f => new FillPoint(f.Time.ToUnixTimeMilliseconds(), f.Side == Contracts.OrderSide.Buy ? "BUY" : "SELL", f.Price, f.Quantity, f.Fee, f.IsMaker, f.ClientOrderId)).ToArray());
        var json = JsonSerializer.Serialize(data, BacktestJson.Default.ReportData).Replace("</", "<\\/", StringComparison.Ordinal);
        var template = Resource("report.html");
        return template
            .Replace("/*CHARTS*/", Resource("lightweight-charts.js").Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase), StringComparison.Ordinal)
            .Replace("/*DATA*/null", json, StringComparison.Ordinal);
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the resource {name} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
