using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenSqt.MarketMaker.Risk;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>
/// Readiness: unhealthy until the first reconciliation has passed (or after a fatal error), degraded with the reason
/// while any symbol is halted (connector unreachable, circuit breaker, market anomaly).
/// </summary>
public sealed class EngineHealthCheck(EngineHost host, RiskState risk) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (risk.FatalError is { } fatal)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(fatal));
        }

        if (!host.Ready)
        {
            var why = risk.ConnectorProblem is { } problem ? $"connector unreachable, placing nothing: {problem}" : "waiting for the first reconciliation with the venue";
            return Task.FromResult(HealthCheckResult.Unhealthy($"not ready: {why}"));
        }

        var halts = host.Engines.Keys.Select(s => risk.HaltReason(s)).Where(r => r is not null).Distinct().ToArray();
        if (halts.Length > 0)
        {
            return Task.FromResult(HealthCheckResult.Degraded("halted: " + string.Join("; ", halts)));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"trading {string.Join(", ", host.Engines.Keys)} on {host.Venue}"));
    }
}
