namespace OpenSqt.Exchanges.Common;

/// <summary>The reconnect schedule every stream follows: 1 s, 2 s, 4 s ... at most 60 s.</summary>
internal static class ReconnectBackoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Maximum = TimeSpan.FromSeconds(60);

    /// <summary>The wait before reconnect attempt <paramref name="attempt"/> (1 = the first retry).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan? initial = null, TimeSpan? maximum = null)
    {
        var first = initial ?? Initial;
        var max = maximum ?? Maximum;
        if (attempt <= 1)
        {
            return first <= max ? first : max;
        }

        var exponent = Math.Min(attempt - 1, 30);
        var ticks = first.Ticks * Math.Pow(2, exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }
}
