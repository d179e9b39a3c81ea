using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenSqt.AppHost.Tests;

/// <summary>The AppHost never sits silent: a resource that cannot start is reported on the console, with its reason.</summary>
public sealed class ResourceFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task AResourceWhoseExecutableIsMissingIsReportedWithItsReasonAndWhoWaitsForIt()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var console = new ConsoleCapture();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpenSqt_AppHost>(
            [$"--{CacheModeSelector.ConfigurationKey}=embedded"], cts.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("OpenSqt.AppHost", LogLevel.Information)
            .AddProvider(console));

        // The cache waits for an executable that does not exist, so nothing of the application itself starts.
        var missing = builder.AddExecutable("broken", "opensqt-no-such-executable", AppContext.BaseDirectory);
        builder.CreateResourceBuilder<EmbeddedCacheResource>(ResourceNames.Cache).WaitFor(missing);

        await using var app = await builder.BuildAsync(cts.Token);
        var starting = app.StartAsync(cts.Token);
        await app.ResourceNotifications.WaitForResourceAsync("broken", KnownResourceStates.FailedToStart, cts.Token);
        var failedAt = DateTimeOffset.UtcNow;

        const string expected = "Error: Resource 'broken' is FailedToStart: the executable 'opensqt-no-such-executable' is not on the PATH.";
        var watch = Stopwatch.StartNew();
        while (console.WrittenAt(expected) is null && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token);
        }

        var line = Assert.Single(console.Lines, l => l.StartsWith(expected, StringComparison.Ordinal));
        Assert.Contains("Waiting for it, so not started: cache, connector, marketmaker, liveserver.", line);
        Assert.True(console.WrittenAt(expected) - failedAt < TimeSpan.FromSeconds(10), $"reported {console.WrittenAt(expected) - failedAt} after the failure");
        Assert.Contains(console.Lines, l => l.Contains("Metadata cache: embedded mode, because Cache__Mode=embedded.", StringComparison.Ordinal));

        await Task.WhenAny(starting, Task.Delay(TimeSpan.FromSeconds(1), cts.Token));
    }

    [Fact]
    public async Task ABadCacheModeStopsTheAppHostNamingTheKeyAndTheAllowedValues()
    {
        var info = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "OpenSqt.AppHost.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment[CacheModeSelector.EnvironmentVariable] = "memcached";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(cts.Token);

        Assert.Equal(1, process.ExitCode);
        Assert.Equal(
            "Cache:Mode (environment variable Cache__Mode) is 'memcached'; allowed values: auto, container, redis-server, embedded.",
            (await stderr).Trim());
        Assert.Empty((await stdout).Trim());
    }

    [Theory]
    [InlineData("redis-server", typeof(RedisServerResource))]
    [InlineData("embedded", typeof(EmbeddedCacheResource))]
    [InlineData("container", typeof(RedisResource))]
    public async Task TheChosenModeDecidesTheCacheResource(string mode, Type expected)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpenSqt_AppHost>(
            [$"--{CacheModeSelector.ConfigurationKey}={mode}"], cts.Token);
        var cache = builder.Resources.Single(r => r.Name == ResourceNames.Cache);
        Assert.IsType(expected, cache);
        Assert.IsAssignableFrom<IResourceWithConnectionString>(cache);
        if (cache is RedisServerResource redisServer)
        {
            Assert.Equal("redis-server", redisServer.Command);
        }

        // A Redis PING health check in every mode (Aspire's own for the container).
        Assert.Single(cache.Annotations.OfType<HealthCheckAnnotation>());
    }
}
