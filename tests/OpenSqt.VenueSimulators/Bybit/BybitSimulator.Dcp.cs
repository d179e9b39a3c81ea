using System.Globalization;
using System.Text.Json;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bybit;

/// <summary>
/// Bybit's disconnection protection (DCP) as its documentation describes it:
/// <list type="bullet">
/// <item><c>POST /v5/order/disconnected-cancel-all</c> (https://bybit-exchange.github.io/docs/v5/order/dcp): body
/// <c>product</c> (<c>OPTIONS</c> by default, <c>DERIVATIVES</c>, <c>SPOT</c>) and <c>timeWindow</c>, an integer in
/// [3, 300] seconds; the default window is 10 s; the feature is enabled per account by Bybit ("contact your client
/// manager").</item>
/// <item><c>GET /v5/account/query-dcp-info</c> (docs/v5/account/dcp-info): <c>dcpInfos[]</c> of <c>product</c>,
/// <c>dcpStatus</c> <c>ON</c>, <c>timeWindow</c> as a string, one per product enabled; an account without DCP gets an
/// empty list.</item>
/// <item>The private topic <c>dcp.future</c> (docs/v5/websocket/private/dcp): "for those private connections
/// subscribing "dcp" topic are all dead, then DCP will be triggered" once the window passes; a connection that comes
/// back (subscribed again) within the window resets it. Both endpoints are limited to 5/s (docs/v5/rate-limit).</item>
/// </list>
/// Simulator choices where the documentation is silent: a DERIVATIVES call on an account without DCP is answered 10005
/// (permission denied), and so is a <c>dcp.future</c> subscription (<c>success:false</c>); a connection that
/// unsubscribes <c>dcp.future</c> stops counting and does not start the window (only a dead one does). When the window
/// runs out every order of every symbol is cancelled through the engine, so the <c>order</c> topic carries each cancel.
/// </summary>
public sealed partial class BybitSimulator
{
    public const string DcpFutureTopic = "dcp.future";
    private const int DcpPerSecond = 5;
    private readonly Lock _dcpGate = new();
    private readonly HashSet<Guid> _dcpConnections = [];
    private int _dcpWindowSeconds = 10;
    private int _dcpSetCalls;

    /// <summary>Whether Bybit has enabled DCP for DERIVATIVES on this account (on in the simulator; off on a live account until asked for).</summary>
    public bool DcpEnabled { get; set; } = true;

    /// <summary>The DERIVATIVES window in seconds (the documented default is 10).</summary>
    public int DcpWindowSeconds
    {
        get
        {
            lock (_dcpGate)
            {
                return _dcpWindowSeconds;
            }
        }
    }

    /// <summary>Live private connections subscribed to <c>dcp.future</c>.</summary>
    public int DcpSubscribers
    {
        get
        {
            lock (_dcpGate)
            {
                return _dcpConnections.Count;
            }
        }
    }

    /// <summary>When the protection cancels everything, or null while a subscribed connection lives.</summary>
    public DateTimeOffset? DcpFiresAt => Countdowns.FiresAt();

    /// <summary>Times the protection cancelled every order since start.</summary>
    public int DcpFirings => CountdownFirings;

    /// <summary>Accepted calls of <c>/v5/order/disconnected-cancel-all</c> since start.</summary>
    public int DcpSetCalls => Volatile.Read(ref _dcpSetCalls);

    private Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> SetDcpAsync(Dictionary<string, string> p)
    {
        var product = p.GetValueOrDefault("product") ?? "OPTIONS";
        if (product is not ("OPTIONS" or "DERIVATIVES" or "SPOT"))
        {
            throw new BybitSimError("10001", "params error: product must be OPTIONS, DERIVATIVES or SPOT");
        }

        if (!int.TryParse(Required(p, "timeWindow"), NumberStyles.None, CultureInfo.InvariantCulture, out var window) || window is < 3 or > 300)
        {
            throw new BybitSimError("10001", "params error: timeWindow must be an integer in [3, 300]");
        }

        if (product != "DERIVATIVES" || !DcpEnabled)
        {
            throw new BybitSimError("10005", $"permission denied: DCP is not enabled for {product} on this account");
        }

        lock (_dcpGate)
        {
            _dcpWindowSeconds = window;
        }

        Interlocked.Increment(ref _dcpSetCalls);
        return Result(w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        });
    }

    private Task<(Action<Utf8JsonWriter>?, Action<Utf8JsonWriter>?, int)> DcpInfoAsync() => Result(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("dcpInfos");
        if (DcpEnabled)
        {
            w.WriteStartObject();
            w.WriteString("product", "DERIVATIVES");
            w.WriteString("dcpStatus", "ON");
            w.WriteString("timeWindow", DcpWindowSeconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>A private connection subscribed to <c>dcp.future</c>: it counts, and a running window stops.</summary>
    private void DcpSubscribed(SimSocket socket)
    {
        lock (_dcpGate)
        {
            _dcpConnections.Add(socket.Id);
            Countdowns.Stop();
        }
    }

    /// <summary>A connection unsubscribed (alive: no window) or died (the window starts when it was the last one).</summary>
    private void DcpLeft(SimSocket socket, bool died)
    {
        lock (_dcpGate)
        {
            if (!_dcpConnections.Remove(socket.Id) || !died || _dcpConnections.Count > 0)
            {
                return;
            }

            Countdowns.Set(SimulatorCountdowns.Account, TimeSpan.FromSeconds(_dcpWindowSeconds), () =>
            {
                foreach (var symbol in Engine.GetSymbolsAsync().GetAwaiter().GetResult())
                {
                    Engine.CancelAllOrdersAsync(symbol).GetAwaiter().GetResult();
                }
            });
        }
    }
}
