using System.Globalization;
using System.Text.Json;

namespace OpenSqt.VenueSimulators.Okx;

/// <summary>
/// <c>POST /api/v5/trade/cancel-all-after</c> as OKX documents it
/// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-all-after): "timeOut: The countdown for order
/// cancellation, with second as the unit. Range of value can be 0, [10, 120]. Setting timeOut to 0 disables Cancel All
/// After"; a new call resets the countdown. Without a tag it covers every pending order of the account. The answer's
/// item carries <c>triggerTime</c>, <c>tag</c> and <c>ts</c>. The countdown runs on the simulator's clock; when it runs
/// out every open order is cancelled through the engine, so the orders channel carries each cancel.
/// </summary>
public sealed partial class OkxSimulator
{
    private ITimer? _countdownTimer;
    private DateTimeOffset? _countdownFiresAt;
    private int _countdownFirings;
    private int _countdownCalls;

    /// <summary>Countdowns that ran out since start.</summary>
    public int CountdownFirings => Volatile.Read(ref _countdownFirings);

    /// <summary>Calls to cancel-all-after the simulator accepted since start.</summary>
    public int CountdownCalls => Volatile.Read(ref _countdownCalls);

    /// <summary>When the account's countdown runs out, or null when none is running.</summary>
    public DateTimeOffset? CountdownFiresAt
    {
        get
        {
            lock (_gate)
            {
                return _countdownFiresAt;
            }
        }
    }

    private Task<(string, string, Action<Utf8JsonWriter>?, int)> CancelAllAfterAsync(Dictionary<string, string> fields)
    {
        var raw = Required(fields, "timeOut");
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || (seconds != 0 && seconds is < 10 or > 120))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter timeOut error");
        }

        var now = Clock.GetUtcNow();
        DateTimeOffset? firesAt = null;
        lock (_gate)
        {
            Interlocked.Increment(ref _countdownCalls);
            _countdownTimer?.Dispose();
            _countdownTimer = null;
            _countdownFiresAt = null;
            if (seconds > 0)
            {
                var due = TimeSpan.FromSeconds(seconds);
                firesAt = now + due;
                _countdownFiresAt = firesAt;
                ITimer? timer = null;
                timer = Clock.CreateTimer(_ => FireCountdown(timer!), null, due, Timeout.InfiniteTimeSpan);
                _countdownTimer = timer;
            }
        }

        return Ok(w =>
        {
            w.WriteStartObject();
            w.WriteString("triggerTime", firesAt is { } at ? at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "0");
            w.WriteString("tag", "");
            w.WriteString("ts", now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        });
    }

    private void FireCountdown(ITimer timer)
    {
        lock (_gate)
        {
            // A reset that raced the timer replaced this countdown: the new one counts.
            if (!ReferenceEquals(_countdownTimer, timer))
            {
                return;
            }

            _countdownTimer.Dispose();
            _countdownTimer = null;
            _countdownFiresAt = null;
        }

        // The engine cancels synchronously; its order stream feeds the orders channel.
        foreach (var symbol in KnownSymbols)
        {
            Engine.CancelAllOrdersAsync(symbol).GetAwaiter().GetResult();
        }

        Interlocked.Increment(ref _countdownFirings);
    }

    private void StopCountdown()
    {
        lock (_gate)
        {
            _countdownTimer?.Dispose();
            _countdownTimer = null;
            _countdownFiresAt = null;
        }
    }
}
