namespace OpenSqt.AppHost.Tests;

/// <summary>How the AppHost picks where the metadata cache's Redis comes from.</summary>
public sealed class CacheModeTests
{
    private static readonly Func<string, string?> NothingOnPath = _ => null;
    private static readonly Func<string, string?> RedisServerOnPath = name => name == "redis-server" ? "/usr/bin/redis-server" : null;

    private static string? NoRuntime() => null;

    private static string? Docker() => "docker";

    [Fact]
    public void AutoPrefersAnAnsweringContainerRuntime()
    {
        var choice = CacheModeSelector.Choose(null, publishMode: false, Docker, RedisServerOnPath);
        Assert.Equal(CacheMode.Container, choice.Mode);
        Assert.Equal("docker answers", choice.Reason);
    }

    [Fact]
    public void AutoWithoutAContainerRuntimeUsesRedisServerFromThePath()
    {
        var choice = CacheModeSelector.Choose("auto", publishMode: false, NoRuntime, RedisServerOnPath);
        Assert.Equal(CacheMode.RedisServer, choice.Mode);
        Assert.Contains("/usr/bin/redis-server", choice.Reason);
    }

    [Fact]
    public void AutoWithNeitherAContainerRuntimeNorRedisServerUsesTheEmbeddedServer()
    {
        var choice = CacheModeSelector.Choose("", publishMode: false, NoRuntime, NothingOnPath);
        Assert.Equal(CacheMode.Embedded, choice.Mode);
        Assert.Equal("no container runtime answers and redis-server is not on the PATH", choice.Reason);
    }

    [Fact]
    public void PublishModeAlwaysDescribesTheContainer()
    {
        var probed = false;
        var choice = CacheModeSelector.Choose("embedded", publishMode: true, () => { probed = true; return null; }, NothingOnPath);
        Assert.Equal(CacheMode.Container, choice.Mode);
        Assert.False(probed);
    }

    [Theory]
    [InlineData("container", CacheMode.Container)]
    [InlineData("redis-server", CacheMode.RedisServer)]
    [InlineData("Embedded", CacheMode.Embedded)]
    [InlineData(" embedded ", CacheMode.Embedded)]
    public void AnExplicitModeIsTakenAsIs(string configured, CacheMode expected)
    {
        var choice = CacheModeSelector.Choose(configured, publishMode: false, Docker, RedisServerOnPath);
        Assert.Equal(expected, choice.Mode);
        Assert.Contains("Cache__Mode=", choice.Reason);
    }

    [Fact]
    public void AnExplicitRedisServerModeSaysWhenRedisServerIsMissing()
    {
        var choice = CacheModeSelector.Choose("redis-server", publishMode: false, NoRuntime, NothingOnPath);
        Assert.Equal(CacheMode.RedisServer, choice.Mode);
        Assert.Contains("redis-server is not on the PATH", choice.Reason);
    }

    [Fact]
    public void ABadValueNamesTheKeyAndTheAllowedValues()
    {
        var ex = Assert.Throws<CacheModeException>(() => CacheModeSelector.Choose("memcached", publishMode: false, NoRuntime, NothingOnPath));
        Assert.Equal(
            "Cache:Mode (environment variable Cache__Mode) is 'memcached'; allowed values: auto, container, redis-server, embedded.",
            ex.Message);
    }

    [Fact]
    public void ExecutableSearchFindsFilesOnlyInThePathDirectories()
    {
        var first = Directory.CreateTempSubdirectory("opensqt-path-");
        var second = Directory.CreateTempSubdirectory("opensqt-path-");
        try
        {
            File.WriteAllText(Path.Combine(second.FullName, "redis-server"), "");
            Directory.CreateDirectory(Path.Combine(first.FullName, "docker"));
            var path = string.Join(Path.PathSeparator, first.FullName, second.FullName);

            Assert.Equal(Path.Combine(second.FullName, "redis-server"), ExecutableSearch.Find("redis-server", path));
            Assert.Null(ExecutableSearch.Find("docker", path));
            Assert.Null(ExecutableSearch.Find("redis-server", first.FullName));
            Assert.Null(ExecutableSearch.Find("redis-server", null));
            Assert.Null(ExecutableSearch.AnsweringContainerRuntime(path));
        }
        finally
        {
            first.Delete(recursive: true);
            second.Delete(recursive: true);
        }
    }
}
