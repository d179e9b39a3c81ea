using System.ComponentModel.DataAnnotations;

namespace OpenSqt.Contracts.Remote;

/// <summary>How a client reaches the ExchangeConnector. Section <c>RemoteExchange</c>.</summary>
public sealed class RemoteExchangeOptions : ServiceChannelOptions
{
    public const string SectionName = "RemoteExchange";

    /// <summary>The connector's gRPC address; the default lets service discovery pick the endpoint named grpc.</summary>
    [Required]
    public string Address { get; set; } = "http://_grpc.connector";

    /// <summary>Connection attempts before the client gives up and says the connector is unreachable.</summary>
    [Range(1, 1000)]
    public int MaxConnectAttempts { get; set; } = 10;

    /// <summary>Failed reconnection attempts of one stream, in a row, before the stream fails.</summary>
    [Range(1, 1000)]
    public int MaxStreamReconnectAttempts { get; set; } = 10;

    /// <summary>First wait between attempts; it doubles each time.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Deadline of one unary call. A place call that runs out of it has an unknown outcome.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How places and cancels travel: <c>stream</c> (one long-lived <c>OrderEntry</c> stream; a connector without it is
    /// answered by the unary calls from then on) or <c>unary</c> (one <c>PlaceOrder</c> / <c>CancelOrder</c> call each).
    /// </summary>
    [AllowedValues(OrderEntryStreamMode, OrderEntryUnaryMode, ErrorMessage = "RemoteExchange:OrderEntry must be stream or unary")]
    public string OrderEntry { get; set; } = OrderEntryStreamMode;

    public const string OrderEntryStreamMode = "stream";

    public const string OrderEntryUnaryMode = "unary";
}

/// <summary>Exponential backoff: initial, 2x, 4x ... capped.</summary>
public sealed record ExponentialBackoff(TimeSpan Initial, TimeSpan Max)
{
    /// <summary>The wait after the <paramref name="failures"/>-th failure in a row (1-based).</summary>
    public TimeSpan Delay(int failures)
    {
        if (failures <= 0)
        {
            return TimeSpan.Zero;
        }

        var exponent = Math.Min(failures - 1, 30);
        var ticks = Initial.Ticks * (1L << exponent);
        return ticks <= 0 || ticks > Max.Ticks ? Max : TimeSpan.FromTicks(ticks);
    }
}
