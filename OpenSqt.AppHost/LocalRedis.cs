using System.Diagnostics;
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

public static class LocalRedisExtensions
{
    /// <summary>
    /// Redis for the metadata cache: a container wherever a container runtime answers and always in publish mode
    /// (the manifest describes the container), otherwise a local <c>redis-server</c> process.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddMetadataCache(this IDistributedApplicationBuilder builder, string name)
    {
        if (builder.ExecutionContext.IsPublishMode || ContainerRuntimeAnswers())
        {
            return builder.AddRedis(name);
        }

        var resource = new RedisServerResource(name, builder.AppHostDirectory);
        var redis = builder.AddResource(resource)
            .WithEndpoint(name: RedisServerResource.EndpointName, scheme: "tcp", env: "REDIS_PORT")
            .WithArgs(context =>
            {
                context.Args.Add("--port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--save");
                context.Args.Add("");
                context.Args.Add("--appendonly");
                context.Args.Add("no");
            });

        var healthCheckKey = $"{name}_redis_ping";
        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, ct) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException("Redis has no address yet"), healthCheckKey);
        return redis.WithHealthCheck(healthCheckKey);
    }

    /// <summary><c>docker info</c> answers in well under a second, and fails at once when no daemon runs.</summary>
    private static bool ContainerRuntimeAnswers()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("docker", "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

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
