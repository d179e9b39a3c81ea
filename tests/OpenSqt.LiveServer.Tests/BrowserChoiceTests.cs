namespace OpenSqt.LiveServer.Tests;

/// <summary>Which Chromium the browser tests drive. Never runs the real download: it cannot work on every machine.</summary>
public sealed class BrowserChoiceTests
{
    [Fact]
    public void TheSystemChromiumIsDrivenWhenItIsPresent()
    {
        var choice = Browsers.Choose(path => path == "/usr/bin/chromium");
        Assert.Equal("/usr/bin/chromium", choice.ExecutablePath);
        Assert.False(choice.NeedsPlaywrightInstall);
    }

    [Fact]
    public void WithoutTheSystemChromiumPlaywrightsOwnIsInstalledAndDriven()
    {
        var choice = Browsers.Choose(_ => false);
        Assert.Null(choice.ExecutablePath);
        Assert.True(choice.NeedsPlaywrightInstall);
    }

    [Fact]
    public async Task PlaywrightsInstallerRunsOnceForAllBrowserTests()
    {
        var runs = 0;
        var install = new PlaywrightInstall(() => Interlocked.Increment(ref runs) > 0 ? 0 : 1);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => install.EnsureAsync()));
        await install.EnsureAsync();
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task AFailedInstallSaysWhatToInstallAndIsNotRetried()
    {
        var runs = 0;
        var install = new PlaywrightInstall(() =>
        {
            Interlocked.Increment(ref runs);
            return 1;
        });

        var first = await Assert.ThrowsAsync<InvalidOperationException>(install.EnsureAsync);
        Assert.Equal(
            "No Chromium at /usr/bin/chromium, and Playwright could not install its own ('playwright install chromium' exited with 1). " +
            "Install the system browser (apt-get install chromium; .ci/run does) or run the tests where Playwright can download its Chromium.",
            first.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(install.EnsureAsync);
        Assert.Equal(1, runs);
    }
}
