using Microsoft.Playwright;

namespace OpenSqt.LiveServer.Tests;

/// <summary>Which Chromium a browser test drives: the system's when there is one, else Playwright's own.</summary>
/// <param name="ExecutablePath">The system browser, or null for the Chromium that Playwright installs.</param>
internal sealed record BrowserChoice(string? ExecutablePath)
{
    public bool NeedsPlaywrightInstall => ExecutablePath is null;
}

/// <summary>
/// Launches Chromium for the browser tests. Debian's <c>/usr/bin/chromium</c> when present (.ci/run installs it);
/// otherwise Playwright's own Chromium, installed once through the Playwright package's installer before the first
/// browser test. That download needs internet access: where it is refused the tests fail with a message saying what
/// to install instead.
/// </summary>
internal static class Browsers
{
    public const string SystemChromium = "/usr/bin/chromium";

    public static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    /// <summary>Playwright's installer, run at most once per test run.</summary>
    private static readonly PlaywrightInstall Install = new(() => Microsoft.Playwright.Program.Main(["install", "chromium"]));

    public static BrowserChoice Choose(Func<string, bool> fileExists) => new(fileExists(SystemChromium) ? SystemChromium : null);

    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        var choice = Choose(File.Exists);
        if (choice.NeedsPlaywrightInstall)
        {
            await Install.EnsureAsync();
        }

        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = choice.ExecutablePath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }
}

/// <summary>Runs an installer (Playwright's <c>install chromium</c>) once, whoever asks first; a failure is final and clear.</summary>
internal sealed class PlaywrightInstall(Func<int> install)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int? _exitCode;

    public async Task EnsureAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _exitCode ??= await Task.Run(install);
        }
        finally
        {
            _gate.Release();
        }

        if (_exitCode != 0)
        {
            throw new InvalidOperationException(
                $"No Chromium at {Browsers.SystemChromium}, and Playwright could not install its own ('playwright install chromium' exited with {_exitCode}). " +
                "Install the system browser (apt-get install chromium; .ci/run does) or run the tests where Playwright can download its Chromium.");
        }
    }
}
