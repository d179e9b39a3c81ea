using System.Diagnostics;

namespace OpenSqt.Benchmarks.Connector;

/// <summary>Latency samples in Stopwatch ticks, summarised as percentiles in microseconds.</summary>
internal sealed class Percentiles(int capacity)
{
    private readonly long[] _samples = new long[capacity];
    private int _count;

    public int Count => _count;

    public void Add(long ticks) => _samples[_count++] = ticks;

    public double Micros(double percentile)
    {
        var sorted = _samples.AsSpan(0, _count).ToArray();
        Array.Sort(sorted);
        var index = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Length - 1)] * 1_000_000.0 / Stopwatch.Frequency;
    }

    public string Summary() =>
        $"n={_count} p50={Micros(50):F1}us p90={Micros(90):F1}us p99={Micros(99):F1}us p99.9={Micros(99.9):F1}us max={Micros(100):F1}us";
}
