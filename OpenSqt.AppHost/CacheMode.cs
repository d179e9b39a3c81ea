using System.Diagnostics;

namespace OpenSqt.AppHost;

/// <summary>Where the metadata cache's Redis comes from.</summary>
public enum CacheMode
{
    /// <summary>The Redis container (<c>AddRedis</c>): machines with Docker or Podman, and always in publish mode.</summary>
    Container,

    /// <summary>A local <c>redis-server</c> process found on the PATH.</summary>
    RedisServer,

    /// <summary>Garnet, a Redis-compatible server hosted by the solution (<c>OpenSqt.CacheServer</c>): needs only the .NET SDK.</summary>
    Embedded,
}

/// <summary>The mode chosen and, in words, why; the console and the dashboard show both.</summary>
public sealed record CacheModeChoice(CacheMode Mode, string Reason, string? ContainerRuntime = null)
{
    public string ModeName => CacheModeSelector.Name(Mode);
}

/// <summary>A bad <c>Cache:Mode</c> value; the message names the key and the allowed values.</summary>
public sealed class CacheModeException(string message) : Exception(message);

/// <summary>
/// Picks the cache mode from <c>Cache:Mode</c> (environment <c>Cache__Mode</c>): <c>container</c>, <c>redis-server</c>,
/// <c>embedded</c>, or <c>auto</c> (the default): the container in publish mode or when a container runtime answers,
/// else <c>redis-server</c> when it is on the PATH, else the embedded server.
/// </summary>
public static class CacheModeSelector
{
    public const string ConfigurationKey = "Cache:Mode";
    public const string EnvironmentVariable = "Cache__Mode";
    public const string Auto = "auto";

    public static readonly IReadOnlyList<string> AllowedValues = [Auto, "container", "redis-server", "embedded"];

    public static string Name(CacheMode mode) => mode switch
    {
        CacheMode.Container => "container",
        CacheMode.RedisServer => "redis-server",
        _ => "embedded",
    };

    /// <param name="configured">The <c>Cache:Mode</c> value, or null.</param>
    /// <param name="publishMode">Publishing: the manifest always describes the Redis container.</param>
    /// <param name="answeringContainerRuntime">Probes for a container runtime; returns the one that answered, or null.</param>
    /// <param name="findOnPath">Finds an executable on the PATH; returns its full path, or null.</param>
    public static CacheModeChoice Choose(string? configured, bool publishMode, Func<string?> answeringContainerRuntime, Func<string, string?> findOnPath)
    {
        var value = string.IsNullOrWhiteSpace(configured) ? Auto : configured.Trim().ToLowerInvariant();
        if (publishMode)
        {
            return new(CacheMode.Container, "publish mode: the manifest describes the Redis container");
        }

        switch (value)
        {
            case "container":
                return new(CacheMode.Container, $"{EnvironmentVariable}=container", answeringContainerRuntime());
            case "redis-server":
                return new(CacheMode.RedisServer, findOnPath("redis-server") is { } found
                    ? $"{EnvironmentVariable}=redis-server ({found})"
                    : $"{EnvironmentVariable}=redis-server, but redis-server is not on the PATH");
            case "embedded":
                return new(CacheMode.Embedded, $"{EnvironmentVariable}=embedded");
            case Auto:
                break;
            default:
                throw new CacheModeException(
                    $"{ConfigurationKey} (environment variable {EnvironmentVariable}) is '{configured}'; allowed values: {string.Join(", ", AllowedValues)}.");
        }

        if (answeringContainerRuntime() is { } runtime)
        {
            return new(CacheMode.Container, $"{runtime} answers", runtime);
        }

        if (findOnPath("redis-server") is { } redisServer)
        {
            return new(CacheMode.RedisServer, $"no container runtime answers; redis-server found at {redisServer}");
        }

        return new(CacheMode.Embedded, "no container runtime answers and redis-server is not on the PATH");
    }
}

/// <summary>Executable lookup over a PATH value, and the container runtime probe built on it.</summary>
public static class ExecutableSearch
{
    /// <summary>The full path of <paramref name="name"/> in the first PATH directory that holds it as a file, or null.</summary>
    public static string? Find(string name, string? path)
    {
        foreach (var directory in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// The first of <c>docker</c> and <c>podman</c> on the PATH whose <c>info</c> succeeds. <c>docker info</c> answers in
    /// well under a second, and fails at once when no daemon runs.
    /// </summary>
    public static string? AnsweringContainerRuntime(string? path)
    {
        foreach (var runtime in new[] { "docker", "podman" })
        {
            if (Find(runtime, path) is { } executable && Answers(executable))
            {
                return runtime;
            }
        }

        return null;
    }

    private static bool Answers(string executable)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(executable, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
