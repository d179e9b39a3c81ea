using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OpenSqt.AppHost;

/// <summary>
/// Keeps the AppHost console from ever sitting silent: it says which cache mode was chosen and why; a resource that
/// fails to start, whose runtime is unhealthy or that exits with an error is reported within seconds with its state,
/// the reason (its last log lines), what to do and who waits for it; once everything is healthy it prints the LiveServer
/// page and the dashboard addresses.
/// </summary>
public sealed class ConsoleReporter(
    ResourceNotificationService notifications,
    ResourceLoggerService resourceLogs,
    DistributedApplicationModel model,
    DistributedApplicationExecutionContext executionContext,
    CacheModeChoice cacheMode,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ConsoleReporter> logger)
{
    private const int LogTailLines = 12;

    /// <summary>How long a failure waits for the resource's last log lines to arrive before it is reported.</summary>
    private static readonly TimeSpan LogGrace = TimeSpan.FromSeconds(1);

    private const string DashboardResourceName = "aspire-dashboard";

    private static readonly string[] PortTakenMarkers = ["address already in use", "AddressAlreadyInUse", "port is already"];

    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _logTails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CustomResourceSnapshot> _latest = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private bool _announcedHealthy;

    /// <summary>
    /// Starts watching before the orchestrator starts anything: the AppHost's own hosted services start only once every
    /// resource has been created, which a resource that fails to start can delay for good.
    /// </summary>
    public static void AddTo(IDistributedApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ConsoleReporter>();
        builder.Eventing.Subscribe<BeforeStartEvent>((e, cancellationToken) =>
        {
            var reporter = e.Services.GetRequiredService<ConsoleReporter>();
            _ = reporter.WatchAsync(e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            return Task.CompletedTask;
        });
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        if (!executionContext.IsRunMode)
        {
            return;
        }

        await Task.Yield();
        AppHostLog.CacheModeChosen(logger, cacheMode.ModeName, cacheMode.Reason);
        var watched = model.Resources
            .Where(r => r is ProjectResource or ExecutableResource or ContainerResource && r.Name != DashboardResourceName)
            .ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var name in watched.Keys)
        {
            _logTails[name] = new ConcurrentQueue<string>();
            _ = TailLogsAsync(name, stoppingToken);
        }

        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!watched.TryGetValue(update.Resource.Name, out var resource) || lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    continue;
                }

                if (update.Snapshot.IsHidden)
                {
                    // Aspire's own helpers (the dashboard, the project rebuilders) are not the application.
                    watched.Remove(resource.Name);
                    continue;
                }

                _latest[resource.Name] = update.Snapshot;
                if (Failure(update.Snapshot) is { } state && _reported.Add($"{resource.Name}/{state}"))
                {
                    await Task.Delay(LogGrace, time, stoppingToken).ConfigureAwait(false);
                    ReportFailure(resource, state, update.Snapshot, watched.Values);
                }

                if (!_announcedHealthy && watched.Keys.All(name => _latest.TryGetValue(name, out var s) && IsHealthy(s)))
                {
                    _announcedHealthy = true;
                    AppHostLog.AllHealthy(logger, PageUrl(watched), DashboardUrl());
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The state worth a report, or null.</summary>
    private static string? Failure(CustomResourceSnapshot snapshot) => snapshot.State?.Text switch
    {
        var s when s == KnownResourceStates.FailedToStart || s == KnownResourceStates.RuntimeUnhealthy => s,
        var s when (s == KnownResourceStates.Exited || s == KnownResourceStates.Finished) && snapshot.ExitCode is not null and not 0 => $"{s} (exit code {snapshot.ExitCode})",
        _ => null,
    };

    private static bool IsHealthy(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus is null or Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;

    private void ReportFailure(IResource resource, string state, CustomResourceSnapshot snapshot, IEnumerable<IResource> all)
    {
        var tail = _logTails.TryGetValue(resource.Name, out var lines) ? lines.ToArray() : [];
        var reason = FailureReason(resource, state, tail, configuration["PATH"]);
        var waiting = Waiting(resource, all.ToList());
        var waitingText = waiting.Count == 0 ? "" : $" Waiting for it, so not started: {string.Join(", ", waiting)}.";
        var logTail = tail.Length == 0 ? "" : $"{Environment.NewLine}Its last log lines:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", tail)}";
        AppHostLog.ResourceFailed(logger, resource.Name, state, reason, Advice(resource, snapshot), waitingText, logTail);
    }

    /// <summary>Every resource that waits for <paramref name="failed"/>, directly or through another waiting resource.</summary>
    private static List<string> Waiting(IResource failed, List<IResource> all)
    {
        var waiting = new List<string>();
        var blocked = new HashSet<string>(StringComparer.Ordinal) { failed.Name };
        bool grew;
        do
        {
            grew = false;
            foreach (var resource in all.Where(r => !blocked.Contains(r.Name)))
            {
                if (resource.Annotations.OfType<WaitAnnotation>().Any(w => blocked.Contains(w.Resource.Name)))
                {
                    blocked.Add(resource.Name);
                    waiting.Add(resource.Name);
                    grew = true;
                }
            }
        }
        while (grew);
        return waiting;
    }

    /// <summary>Why <paramref name="resource"/> is in the failed <paramref name="state"/>, from what it is and its last log lines.</summary>
    public static string FailureReason(IResource resource, string state, IReadOnlyList<string> tail, string? path)
    {
        if (resource is ExecutableResource executable && state == KnownResourceStates.FailedToStart
            && !Path.IsPathRooted(executable.Command) && ExecutableSearch.Find(executable.Command, path) is null)
        {
            return $"the executable '{executable.Command}' is not on the PATH";
        }

        if (resource is ExecutableResource { Command: var command } && Path.IsPathRooted(command) && !File.Exists(command))
        {
            return $"the executable '{command}' does not exist";
        }

        // redis-server: "Address already in use"; Garnet (the embedded server): "Could not bind ... (AddressAlreadyInUse)".
        if (tail.FirstOrDefault(l => PortTakenMarkers.Any(m => l.Contains(m, StringComparison.OrdinalIgnoreCase))) is { } portLine)
        {
            return $"its port is taken by another process ({portLine.Trim()})";
        }

        if (state == KnownResourceStates.RuntimeUnhealthy)
        {
            return "the container runtime does not answer";
        }

        return tail.Count > 0 ? "see its last log lines below" : "it wrote no log lines; see the dashboard";
    }

    private string Advice(IResource resource, CustomResourceSnapshot snapshot)
    {
        if (resource.Name == ResourceNames.Cache)
        {
            return cacheMode.Mode switch
            {
                CacheMode.Container => "start Docker or Podman, or run without containers: Cache__Mode=embedded dotnet run --project OpenSqt.AppHost",
                CacheMode.RedisServer => "install redis-server (apt-get install redis-server) or use the embedded server: Cache__Mode=embedded dotnet run --project OpenSqt.AppHost",
                _ => "free the port or fix what the log lines below say, then run the AppHost again",
            };
        }

        return $"fix what the log lines say (all of them are in the dashboard{(DashboardUrl() is { Length: > 0 } url && url != "disabled" ? " at " + url : "")}), then run the AppHost again";
    }

    private string PageUrl(IReadOnlyDictionary<string, IResource> watched) =>
        watched.TryGetValue(ResourceNames.LiveServer, out var liveServer) && liveServer is IResourceWithEndpoints withEndpoints
            ? withEndpoints.GetEndpoint(ResourceNames.HttpEndpoint).Url
            : "(no LiveServer in this application)";

    /// <summary>The dashboard's first address, as a login link when the dashboard asks for a browser token.</summary>
    private string DashboardUrl()
    {
        if (!model.Resources.Any(r => r.Name == DashboardResourceName))
        {
            return "disabled";
        }

        var url = (configuration["ASPNETCORE_URLS"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (url is null)
        {
            return "see the dashboard address above";
        }

        var token = configuration["AppHost:BrowserToken"];
        return string.IsNullOrEmpty(token) ? url : $"{url.TrimEnd('/')}/login?t={token}";
    }

    private async Task TailLogsAsync(string resourceName, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in resourceLogs.WatchAsync(resourceName).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var tail = _logTails[resourceName];
                foreach (var line in batch)
                {
                    tail.Enqueue(line.Content);
                    while (tail.Count > LogTailLines && tail.TryDequeue(out _))
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
