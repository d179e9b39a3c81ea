using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace OpenSqt.MarketMaker.Tests;

public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task TracesAndOpenTelemetryLogsAreBuiltOnlyWhereAnOtlpEndpointIsConfigured()
    {
        await using var quiet = Build(endpoint: null);
        Assert.Null(quiet.Services.GetService<TracerProvider>());
        Assert.DoesNotContain(quiet.Services.GetServices<ILoggerProvider>(), p => p is OpenTelemetryLoggerProvider);
        Assert.NotNull(quiet.Services.GetService<MeterProvider>());

        await using var exported = Build(endpoint: "http://127.0.0.1:4317");
        Assert.NotNull(exported.Services.GetService<TracerProvider>());
        Assert.Contains(exported.Services.GetServices<ILoggerProvider>(), p => p is OpenTelemetryLoggerProvider);
        Assert.NotNull(exported.Services.GetService<MeterProvider>());
    }

    private static WebApplication Build(string? endpoint)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint });
        builder.AddServiceDefaults();
        return builder.Build();
    }
}
