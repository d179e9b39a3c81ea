using System.Globalization;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Backtest.Data;

/// <summary>
/// Writes an aggTrades file of a made-up market with the sim venue's own process and instrument settings
/// (<see cref="SimSymbolOptions.Defaults"/>: geometric Brownian motion without drift at the instrument's annual
/// volatility, on its tick; log-normal trade sizes around its volume per minute, on its step), seeded, so the same seed
/// gives the same file. For the sample that ships with the tests and for the benchmark.
/// </summary>
public static class SyntheticTape
{
    private const double YearSeconds = 365 * 24 * 3600;

    /// <summary>Writes <paramref name="count"/> trades <paramref name="spacing"/> apart from <paramref name="start"/>; returns the last price.</summary>
    public static decimal Write(string path, string symbol, DateTimeOffset start, int count, TimeSpan spacing, int seed)
    {
        var options = SimSymbolOptions.Defaults.FirstOrDefault(s => s.Symbol == symbol)
            ?? throw new ArgumentException($"the sim has no instrument {symbol}", nameof(symbol));
        var random = new Random(seed);
        var lnPrice = Math.Log((double)options.StartPrice);
        var dt = spacing.TotalSeconds;
        var sigma = options.AnnualVolatility * Math.Sqrt(dt / YearSeconds);
        var meanSize = (double)options.VolumePerMinute * dt / 60;
        var startMs = start.ToUnixTimeMilliseconds();
        var spacingMs = (long)spacing.TotalMilliseconds;
        var price = options.StartPrice;
        using var writer = new StreamWriter(path, append: false);
        writer.Write(AggTradeFile.Header);
        writer.Write('\n');
        for (var i = 0; i < count; i++)
        {
            lnPrice += (sigma * Gaussian(random)) - (0.5 * sigma * sigma);
            price = Math.Max(options.TickSize, Math.Round((decimal)Math.Exp(lnPrice) / options.TickSize) * options.TickSize);
            var size = Math.Max(options.StepSize, Math.Floor((decimal)(meanSize * Math.Exp((0.8 * Gaussian(random)) - 0.32)) / options.StepSize) * options.StepSize);
            var id = i + 1L;
            writer.Write(string.Create(CultureInfo.InvariantCulture, $"{id},{price},{size},{id},{id},{startMs + (i * spacingMs)},{(random.Next(2) == 0 ? "true" : "false")}\n"));
        }

        return price;
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
