using OpenSqt.LiveServer.Options;

namespace OpenSqt.LiveServer.Tests;

public sealed class OptionsDefaultsTests
{
    [Fact]
    public void WebSocketLimitsDefaultToTenPerSecondBurstTwentyAndAThousandConnections()
    {
        var options = new WebSocketLimitsOptions();
        Assert.Equal(10, options.ConnectionsPerPeriod);
        Assert.Equal(20, options.ConnectionBurst);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RateLimitPeriod);
        Assert.Equal(1000, options.MaxConnections);
        Assert.True(options.AllowSameOrigin);
        Assert.Empty(options.AllowedOrigins);
    }

    [Fact]
    public void RateAboveTheBurstIsRefusedNamingBothKeys()
    {
        var result = new WebSocketLimitsOptionsValidator().Validate(null, new WebSocketLimitsOptions { ConnectionsPerPeriod = 30, ConnectionBurst = 20 });
        Assert.True(result.Failed);
        Assert.Contains("LiveServer:WebSockets:ConnectionsPerPeriod", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ConnectionBurst", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void BlankSymbolIsRefusedNamingItsIndex()
    {
        var result = new LiveServerOptionsValidator().Validate(null, new LiveServerOptions { Symbols = ["BTCUSDT", " "] });
        Assert.True(result.Failed);
        Assert.Contains("LiveServer:Symbols:1", result.FailureMessage, StringComparison.Ordinal);
    }
}
