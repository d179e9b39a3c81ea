using OpenSqt.Backtest.Data;

namespace OpenSqt.Backtest.Tests;

public sealed class ReadAheadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(100_000)]
    public void TheConsumerGetsEveryItemInOrder(int count)
    {
        Assert.Equal(Enumerable.Range(0, count), ReadAhead.Of(Enumerable.Range(0, count)));
    }

    [Fact]
    public void AnErrorOfTheSourceArrivesAfterTheItemsReadBeforeIt()
    {
        static IEnumerable<int> Failing()
        {
            for (var i = 0; i < 1000; i++)
            {
                yield return i;
            }

            throw new DataFormatException("line 1001: not a number");
        }

        var seen = new List<int>();
        var error = Assert.Throws<DataFormatException>(() =>
        {
            foreach (var item in ReadAhead.Of(Failing()))
            {
                seen.Add(item);
            }
        });

        Assert.Equal("line 1001: not a number", error.Message);
        Assert.Equal(Enumerable.Range(0, 1000), seen);
    }

    [Fact]
    public void AConsumerThatStopsEarlyStopsTheReaderAndTheSourceIsDisposed()
    {
        var source = new EndlessSource();

        var taken = ReadAhead.Of(source).Take(10).ToList();

        Assert.Equal(Enumerable.Range(0, 10), taken);
        Assert.True(source.Disposed);
    }

    private sealed class EndlessSource : IEnumerable<int>
    {
        public volatile bool Disposed;

        public IEnumerator<int> GetEnumerator()
        {
            try
            {
                for (var i = 0; ; i++)
                {
                    yield return i;
                }
            }
            finally
            {
                Disposed = true;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
