using System.Diagnostics;
using System.Net.Sockets;

namespace OpenSqt.TestSupport;

/// <summary>The Redis-protocol servers the metadata cache runs against.</summary>
public enum RedisServerKind
{
    /// <summary>Debian's <c>redis-server</c> from the PATH (.ci/run installs it).</summary>
    RedisServer,

    /// <summary>The solution's embedded server, <c>OpenSqt.CacheServer</c> (Garnet), which needs only the .NET SDK.</summary>
    Embedded,
}

/// <summary>
/// A real Redis-protocol server process on a free loopback port, for tests of the metadata cache: <c>redis-server</c>
/// or the embedded Garnet server, started the way the AppHost starts them.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly RedisServerKind _kind;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private Process _process;

    private RedisServer(RedisServerKind kind, Process process, int port)
    {
        _kind = kind;
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public bool HasExited => _process.HasExited;

    /// <summary><c>redis-server</c> when it is on the PATH; always the embedded server.</summary>
    public static IEnumerable<RedisServerKind> Available()
    {
        if (OnPath("redis-server"))
        {
            yield return RedisServerKind.RedisServer;
        }

        yield return RedisServerKind.Embedded;
    }

    /// <summary>For xUnit theories: one row per server this machine can run.</summary>
    public static TheoryRows AvailableRows() => new(Available());

    /// <summary><c>redis-server</c> when it is on the PATH, otherwise the embedded server.</summary>
    public static Task<RedisServer> StartAsync() => StartAsync(Available().First());

    public static async Task<RedisServer> StartAsync(RedisServerKind kind)
    {
        var port = ConnectorHost.FreePort();
        var server = new RedisServer(kind, null!, port);
        server._process = server.Launch(port);
        await server.WaitUntilAnsweringAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the server again on the same port, empty, after <see cref="StopAsync"/>.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
        _process = Launch(Port);
        await WaitUntilAnsweringAsync().ConfigureAwait(false);
    }

    private Process Launch(int port)
    {
        var info = _kind == RedisServerKind.RedisServer
            ? new ProcessStartInfo("redis-server", ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            : new ProcessStartInfo("dotnet", ["exec", EmbeddedServerPath(), "--port", $"{port}", "--bind", "127.0.0.1"]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{info.FileName} is not installed (apt-get install -y redis-server; .ci/run installs it)", ex);
        }

        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>OpenSqt.CacheServer.dll, copied beside the test assembly by the project reference.</summary>
    private static string EmbeddedServerPath()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "OpenSqt.CacheServer.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build OpenSqt.TestSupport");
    }

    private static bool OnPath(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, executable)));

    private async Task WaitUntilAnsweringAsync()
    {
        await Eventually.TrueAsync(() => _process.HasExited || Answers(), StartTimeout, $"{_kind} answers PING on port {Port}").ConfigureAwait(false);
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{_kind} exited with code {_process.ExitCode}: {string.Join(Environment.NewLine, _output)}");
        }
    }

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            using var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer);
            return read > 0 && buffer[0] == (byte)'+';
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    public override string ToString() => _kind.ToString();
}

/// <summary>Theory rows of <see cref="RedisServerKind"/>, without a dependency on xUnit here.</summary>
public sealed class TheoryRows(IEnumerable<RedisServerKind> kinds) : IEnumerable<object[]>
{
    public IEnumerator<object[]> GetEnumerator() => kinds.Select(k => new object[] { k }).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
