namespace OpenSqt.TestSupport;

/// <summary>Waits on conditions, never on fixed sleeps: polls until true or fails after the timeout.</summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string because)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(PollInterval, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {because}");
            }
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!await condition().ConfigureAwait(false))
        {
            try
            {
                await Task.Delay(PollInterval, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {because}");
            }
        }
    }

    /// <summary>Reads the next item of a stream, or fails after the timeout.</summary>
    public static async Task<T> NextAsync<T>(IAsyncEnumerator<T> stream, TimeSpan timeout, string what)
    {
        var move = stream.MoveNextAsync().AsTask();
        var done = await Task.WhenAny(move, Task.Delay(timeout)).ConfigureAwait(false);
        if (done != move)
        {
            throw new TimeoutException($"Timed out after {timeout} waiting for {what}");
        }

        return await move.ConfigureAwait(false) ? stream.Current : throw new InvalidOperationException($"stream ended while waiting for {what}");
    }

    /// <summary>Reads a stream until an item matches <paramref name="match"/>; fails after the timeout (each read) or if it ends.</summary>
    public static async Task<T> NextMatchingAsync<T>(IAsyncEnumerator<T> stream, Func<T, bool> match, TimeSpan timeout, string what)
    {
        while (true)
        {
            var item = await NextAsync(stream, timeout, what).ConfigureAwait(false);
            if (match(item))
            {
                return item;
            }
        }
    }
}
