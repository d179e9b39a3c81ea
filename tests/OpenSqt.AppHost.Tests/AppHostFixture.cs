using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OpenSqt.AppHost.Tests;

/// <summary>
/// The whole distributed application, started once for the collection, as on a machine with only the .NET SDK: the
/// AppHost sees a PATH without docker, podman and redis-server and <c>Cache:Mode</c> is auto, so it runs the embedded
/// Garnet server.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The service API key the test gives the AppHost instead of a generated one.</summary>
    public const string ServiceApiKey = "distributed-test-key-0123456789abcdef";

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>What the AppHost wrote to its console.</summary>
    public ConsoleCapture Console { get; } = new();

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.OpenSqt_AppHost>(
            [$"--PATH={FreshMachinePath.Value()}", $"--{CacheModeSelector.ConfigurationKey}=auto"], cts.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("OpenSqt.AppHost", LogLevel.Information)
            .AddProvider(Console));
        builder.Configuration[$"Parameters:{ResourceNames.ServiceApiKeyParameter}"] = ServiceApiKey;

        // Ask Redis on every metadata lookup, so the test can see the second lookup served from it.
        builder.CreateResourceBuilder<ProjectResource>(ResourceNames.Connector)
            .WithEnvironment("MetadataCache__MemoryTtl", "00:00:00");

        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        foreach (var resource in new[] { ResourceNames.Cache, ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer })
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
        }
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
