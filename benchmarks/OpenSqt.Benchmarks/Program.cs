using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(OpenSqt.Benchmarks.BenchmarkAssembly).Assembly).Run(args);

namespace OpenSqt.Benchmarks
{
    /// <summary>Marks the assembly that holds the benchmarks.</summary>
    internal static class BenchmarkAssembly;
}
