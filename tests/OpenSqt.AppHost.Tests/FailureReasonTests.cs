using Aspire.Hosting.ApplicationModel;

namespace OpenSqt.AppHost.Tests;

/// <summary>The reason the console gives for a resource that failed, from what it is and its last log lines.</summary>
public sealed class FailureReasonTests
{
    [Fact]
    public void AMissingExecutableIsNamed()
    {
        var resource = new RedisServerResource("cache", "/");
        Assert.Equal("the executable 'redis-server' is not on the PATH",
            ConsoleReporter.FailureReason(resource, KnownResourceStates.FailedToStart, [], "/opensqt-empty-dir"));
    }

    [Theory]
    // What Garnet (OpenSqt.CacheServer) writes when its port is taken, as captured from the process.
    [InlineData("The embedded cache could not start: Could not bind 127.0.0.1:16397 (AddressAlreadyInUse). Another process is already listening there.")]
    // What redis-server writes.
    [InlineData("1:M 04 Dec 2026 15:00:00.000 # Warning: Could not create server TCP listening socket 127.0.0.1:6379: bind: Address already in use")]
    public void ATakenPortIsNamedWithTheLineThatSaysSo(string line)
    {
        var resource = new EmbeddedCacheResource("cache");
        var reason = ConsoleReporter.FailureReason(resource, "Exited (exit code 1)", ["starting", line], null);
        Assert.Equal($"its port is taken by another process ({line})", reason);
    }

    [Fact]
    public void OtherwiseTheLogLinesAreTheReason()
    {
        var resource = new EmbeddedCacheResource("cache");
        Assert.Equal("see its last log lines below", ConsoleReporter.FailureReason(resource, "Exited (exit code 3)", ["Unhandled exception"], null));
        Assert.Equal("it wrote no log lines; see the dashboard", ConsoleReporter.FailureReason(resource, "Exited (exit code 3)", [], null));
        Assert.Equal("the container runtime does not answer", ConsoleReporter.FailureReason(resource, KnownResourceStates.RuntimeUnhealthy, [], null));
    }
}
