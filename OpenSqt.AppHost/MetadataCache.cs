using Microsoft.Extensions.DependencyInjection;

namespace OpenSqt.AppHost;

/// <summary>
/// Redis as a local <c>redis-server</c> process, for machines without a container runtime. It offers the same
/// connection string as <c>AddRedis</c> (<c>ConnectionStrings__cache</c>), so clients cannot tell the difference.
/// </summary>
public sealed class RedisServerResource(string name, string workingDirectory)
    : ExecutableResource(name, "redis-server", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public EndpointReference Endpoint => _endpoint ??= new EndpointReference(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}

/// <summary>
/// The embedded Redis-compatible server: the <c>OpenSqt.CacheServer</c> project (Garnet), run by DCP like the other
/// projects. Same connection string as the other two modes.
/// </summary>
public sealed class EmbeddedCacheResource(string name) : ProjectResource(name), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public EndpointReference Endpoint => _endpoint ??= new EndpointReference(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}

public static class MetadataCacheExtensions
{
    /// <summary>
    /// Redis for the metadata cache, in the mode <see cref="CacheModeSelector"/> picks from <c>Cache:Mode</c> and what the
    /// machine has (the PATH is read from configuration, which holds the environment's <c>PATH</c>). The choice is
    /// registered as a <see cref="CacheModeChoice"/> for the console report and written to the resource's log.
    /// </summary>
    /// <exception cref="CacheModeException"><c>Cache:Mode</c> has a value that is not allowed.</exception>
    public static IResourceBuilder<IResourceWithConnectionString> AddMetadataCache(this IDistributedApplicationBuilder builder, string name)
    {
        var path = builder.Configuration["PATH"];
        var choice = CacheModeSelector.Choose(
            builder.Configuration[CacheModeSelector.ConfigurationKey],
            builder.ExecutionContext.IsPublishMode,
            () => ExecutableSearch.AnsweringContainerRuntime(path),
            executable => ExecutableSearch.Find(executable, path));
        builder.Services.AddSingleton(choice);

        IResourceBuilder<IResourceWithConnectionString> cache;
        switch (choice.Mode)
        {
            case CacheMode.Container:
                if (choice.ContainerRuntime == "podman" && string.IsNullOrEmpty(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]))
                {
                    builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] = "podman";
                }

                cache = builder.AddRedis(name);
                break;
            case CacheMode.RedisServer:
                var redisServer = new RedisServerResource(name, builder.AppHostDirectory);
                cache = builder.AddResource(redisServer)
                    .WithEndpoint(name: RedisServerResource.EndpointName, scheme: "tcp")
                    .WithArgs(context =>
                    {
                        context.Args.Add("--port");
                        context.Args.Add(redisServer.Endpoint.Property(EndpointProperty.TargetPort));
                        context.Args.Add("--bind");
                        context.Args.Add("127.0.0.1");
                        context.Args.Add("--save");
                        context.Args.Add("");
                        context.Args.Add("--appendonly");
                        context.Args.Add("no");
                    })
                    .WithRedisPing(builder, redisServer);
                break;
            default:
                var embedded = new EmbeddedCacheResource(name);
                cache = builder.AddResource(embedded)
                    .WithAnnotation<IProjectMetadata>(new Projects.OpenSqt_CacheServer())
                    .WithEndpoint(name: EmbeddedCacheResource.EndpointName, scheme: "tcp")
                    .WithArgs(context =>
                    {
                        context.Args.Add("--port");
                        context.Args.Add(embedded.Endpoint.Property(EndpointProperty.TargetPort));
                        context.Args.Add("--bind");
                        context.Args.Add("127.0.0.1");
                    })
                    .WithRedisPing(builder, embedded);
                break;
        }

        // The dashboard shows the choice in the cache's own log.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(cache.Resource, (e, _) =>
        {
            AppHostLog.CacheModeChosen(e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(e.Resource), choice.ModeName, choice.Reason);
            return Task.CompletedTask;
        });
        return cache;
    }

    /// <summary>The health check <c>AddRedis</c> gives the container: a PING over the resource's connection string.</summary>
    private static IResourceBuilder<IResourceWithConnectionString> WithRedisPing<T>(this IResourceBuilder<T> cache, IDistributedApplicationBuilder builder, T resource)
        where T : IResourceWithConnectionString
    {
        var healthCheckKey = $"{resource.Name}_redis_ping";
        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, ct) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException("Redis has no address yet"), healthCheckKey);
        return builder.CreateResourceBuilder<IResourceWithConnectionString>(resource).WithHealthCheck(healthCheckKey);
    }
}
