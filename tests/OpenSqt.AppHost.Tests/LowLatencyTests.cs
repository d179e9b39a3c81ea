namespace OpenSqt.AppHost.Tests;

/// <summary>The latency mode: the AppHost hands the runtime's spin setting to the connector and the engine, or refuses a bad value.</summary>
public sealed class LowLatencyTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", 0)]
    [InlineData(" 1000 ", 1000)]
    [InlineData("100000", 100_000)]
    public void ReadsAWholeNumberOrNothing(string? configured, int? expected) =>
        Assert.Equal(expected, LowLatency.SpinLimit(configured));

    [Theory]
    [InlineData("fast")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("100001")]
    public void RefusesAnythingElseNamingTheKeyAndTheAllowedValues(string configured)
    {
        var ex = Assert.Throws<LowLatencyException>(() => LowLatency.SpinLimit(configured));
        Assert.StartsWith($"LowLatency:ThreadPoolSpinLimit (environment variable LowLatency__ThreadPoolSpinLimit) is '{configured}'; allowed values: a whole number from 0 to 100000", ex.Message);
    }

    [Fact]
    public async Task TheSpinLimitReachesTheConnectorAndTheEngineAndNothingElse()
    {
        var plain = await Manifest.GetAsync();
        Assert.All([ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer], p => Assert.False(plain.Env(p).ContainsKey(LowLatency.RuntimeVariable)));

        var fast = await Manifest.GenerateWithAsync(new Dictionary<string, string> { [LowLatency.EnvironmentVariable] = "1000" });
        Assert.Equal("1000", (string?)fast.Env(ResourceNames.Connector)[LowLatency.RuntimeVariable]);
        Assert.Equal("1000", (string?)fast.Env(ResourceNames.MarketMaker)[LowLatency.RuntimeVariable]);
        Assert.False(fast.Env(ResourceNames.LiveServer).ContainsKey(LowLatency.RuntimeVariable));
    }

    [Fact]
    public async Task ABadValueStopsTheAppHostWithTheMessage()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Manifest.GenerateWithAsync(new Dictionary<string, string> { [LowLatency.EnvironmentVariable] = "fast" }));
        Assert.Contains("LowLatency:ThreadPoolSpinLimit (environment variable LowLatency__ThreadPoolSpinLimit) is 'fast'; allowed values", ex.Message);
    }
}
