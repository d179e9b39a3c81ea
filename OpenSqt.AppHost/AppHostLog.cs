using Microsoft.Extensions.Logging;

namespace OpenSqt.AppHost;

internal static partial class AppHostLog
{
    [LoggerMessage(1, LogLevel.Information, "Metadata cache: {Mode} mode, because {Reason}. Pick one with Cache__Mode=container|redis-server|embedded.")]
    public static partial void CacheModeChosen(ILogger logger, string mode, string reason);

    [LoggerMessage(2, LogLevel.Error, "Resource '{Resource}' is {State}: {Reason}. What to do: {Advice}.{Waiting}{LogTail}")]
    public static partial void ResourceFailed(ILogger logger, string resource, string state, string reason, string advice, string waiting, string logTail);

    [LoggerMessage(3, LogLevel.Information, "OpenSqt is running, all resources healthy. LiveServer page: {PageUrl}  Dashboard: {DashboardUrl}")]
    public static partial void AllHealthy(ILogger logger, string pageUrl, string dashboardUrl);
}
