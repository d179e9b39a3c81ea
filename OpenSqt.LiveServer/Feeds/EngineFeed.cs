using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.LiveServer.Diagnostics;
using OpenSqt.LiveServer.Hub;
using OpenSqt.LiveServer.Options;
using OpenSqt.LiveServer.Protocol;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.LiveServer.Feeds;

/// <summary>
/// The LiveServer's link to the trading engine: one <c>PositionService.SubscribePositions</c> stream and one
/// <c>RiskService.SubscribeRiskAlerts</c> stream, each reopened with backoff (1 s, 2 s, 4 s ... at most the configured
/// maximum) whenever it fails, plus polling of circuit breaker status and realised PnL. While any part fails, browsers
/// are told the engine is unavailable and why; nothing is made up in its place.
/// </summary>
public sealed class EngineFeed(
    W.PositionService.PositionServiceClient positions,
    W.RiskService.RiskServiceClient risk,
    LiveHub hub,
    IOptions<EngineOptions> options,
    LiveServerMetrics metrics,
    TimeProvider time,
    ILogger<EngineFeed> logger) : BackgroundService
{
    private const string PositionsPart = "positions";
    private const string AlertsPart = "risk alerts";
    private const string PollPart = "risk status";

    private readonly EngineOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, string?> _parts = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _statusGate = new(1, 1);
    private volatile IReadOnlyList<string> _engineSymbols = [];
    private string? _lastState;
    private string? _lastDetail;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            RetryingAsync(PositionsPart, PositionsOnceAsync, stoppingToken),
            RetryingAsync(AlertsPart, AlertsOnceAsync, stoppingToken),
            RetryingAsync(PollPart, PollOnceAsync, stoppingToken));

    /// <summary>Runs one part until it fails, then reports the failure and runs it again after the backoff.</summary>
    private async Task RetryingAsync(string part, Func<Action, CancellationToken, Task<string>> once, CancellationToken cancellationToken)
    {
        var backoff = new ExponentialBackoff(_options.InitialBackoff, _options.MaxBackoff);
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string problem;
            try
            {
                problem = await once(() => failures = 0, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                problem = Describe(part, ex);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            failures++;
            var delay = backoff.Delay(failures);
            await SetPartAsync(part, problem, cancellationToken).ConfigureAwait(false);
            LiveServerLog.EngineUnavailable(logger, part, delay, problem);
            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string> PositionsOnceAsync(Action connected, CancellationToken cancellationToken)
    {
        // Without a filter the engine answers for every symbol it trades: that is how the page learns which they are.
        var snapshot = await positions.GetPositionsAsync(new W.PositionServiceGetPositionsRequest(), deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var symbols = snapshot.Positions.Select(p => p.Symbol).Distinct(StringComparer.Ordinal).ToArray();
        _engineSymbols = symbols;
        await hub.PostAsync(new EngineSymbolsInput(symbols), cancellationToken).ConfigureAwait(false);
        foreach (var position in snapshot.Positions)
        {
            await hub.PostAsync(ToInput(position), cancellationToken).ConfigureAwait(false);
        }

        using var call = positions.SubscribePositions(new W.PositionServiceSubscribePositionsRequest(), cancellationToken: cancellationToken);
        connected();
        await SetPartAsync(PositionsPart, null, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            metrics.Upstream("engine");
            if (call.ResponseStream.Current.Position is { } position)
            {
                await hub.PostAsync(ToInput(position), cancellationToken).ConfigureAwait(false);
            }
        }

        return "the engine ended the position stream";
    }

    private async Task<string> AlertsOnceAsync(Action connected, CancellationToken cancellationToken)
    {
        using var call = risk.SubscribeRiskAlerts(new W.SubscribeRiskAlertsRequest(), cancellationToken: cancellationToken);

        // A server may send its headers only with the first alert: a call that has not failed within the call timeout
        // counts as open.
        var headers = call.ResponseHeadersAsync;
        if (await Task.WhenAny(headers, Task.Delay(_options.CallTimeout, time, cancellationToken)).ConfigureAwait(false) == headers)
        {
            await headers.ConfigureAwait(false);
        }

        connected();
        await SetPartAsync(AlertsPart, null, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            metrics.Upstream("engine");
            var alert = call.ResponseStream.Current;
            await hub.PostAsync(
                new RiskAlertInput(alert.Symbol, new RiskAlertDto(alert.AlertType, alert.Severity, alert.Message, UnixSeconds(alert.Timestamp))),
                cancellationToken).ConfigureAwait(false);
        }

        return "the engine ended the risk alert stream";
    }

    private async Task<string> PollOnceAsync(Action connected, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.PollInterval, time);
        do
        {
            var symbols = _engineSymbols;
            if (symbols.Count == 0)
            {
                continue;
            }

            var pnlRequest = new W.PositionServiceGetRealizedPnLRequest();
            pnlRequest.Symbols.AddRange(symbols);
            var pnl = await positions.GetRealizedPnLAsync(pnlRequest, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
            var realized = pnl.BySymbol.ToDictionary(p => p.Symbol, p => p.RealizedPnl.ToDecimal(), StringComparer.Ordinal);
            var metricsRequest = new W.GetRiskMetricsRequest();
            metricsRequest.Symbols.AddRange(symbols);
            var riskMetrics = await risk.GetRiskMetricsAsync(metricsRequest, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
            var halts = riskMetrics.Metrics.ToDictionary(m => m.Symbol, HaltType, StringComparer.Ordinal);
            foreach (var symbol in symbols)
            {
                var status = await risk.GetCircuitBreakerStatusAsync(new W.GetCircuitBreakerStatusRequest { Symbol = symbol }, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
                var cb = status.Status ?? new W.CircuitBreakerStatus { Symbol = symbol };
                await hub.PostAsync(new EngineRiskInput(
                    symbol,
                    new CircuitBreakerDto(cb.IsOpen, cb.Reason, UnixSeconds(cb.OpenedAt), cb.ConsecutiveLosses),
                    realized.TryGetValue(symbol, out var r) ? r : null,
                    halts.GetValueOrDefault(symbol)), cancellationToken).ConfigureAwait(false);
            }

            connected();
            await SetPartAsync(PollPart, null, cancellationToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));

        return "polling stopped";
    }

    /// <summary>
    /// Why the engine does not trade a symbol normally, from its risk metrics: a breached limit of a kind that stops
    /// trading (fatal error, connector unreachable, market anomaly). A full position limit only stops adding to it.
    /// </summary>
    private static string? HaltType(W.SymbolRiskMetrics metrics) =>
        metrics.LimitBreach && metrics.LimitType is "fatal" or "connector_unreachable" or "market_anomaly" ? metrics.LimitType : null;

    /// <summary>Records one part's problem (null when fine) and tells browsers when the engine's overall state changed.</summary>
    private async Task SetPartAsync(string part, string? problem, CancellationToken cancellationToken)
    {
        await _statusGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var wasProblem = _parts.TryGetValue(part, out var previous) && previous is not null;
            _parts[part] = problem;
            if (problem is null && wasProblem)
            {
                LiveServerLog.EngineConnected(logger, part);
            }

            var failing = _parts.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value!).ToArray();
            var connectedParts = _parts.Count(p => p.Value is null);
            var (state, detail) =
                failing.Length > 0 ? (LinkStates.Unavailable, failing[0])
                : connectedParts == 3 ? (LinkStates.Connected, "connected to the engine")
                : (LinkStates.Connecting, "connecting to the engine");
            if (state != _lastState || detail != _lastDetail)
            {
                _lastState = state;
                _lastDetail = detail;
                await hub.PostAsync(new LinkInput(LinkInput.Engine, state, detail), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _statusGate.Release();
        }
    }

    private string Describe(string part, RpcException ex) => ex.StatusCode switch
    {
        StatusCode.Unimplemented => $"the engine at {_options.Address} does not serve {part} yet ({ex.StatusCode})",
        StatusCode.Unavailable => $"the engine at {_options.Address} is unreachable: {ex.Status.Detail}",
        StatusCode.DeadlineExceeded => $"the engine at {_options.Address} did not answer within {_options.CallTimeout}",
        _ => $"the engine at {_options.Address} failed on {part}: {ex.StatusCode} {ex.Status.Detail}",
    };

    private DateTime Deadline() => time.GetUtcNow().UtcDateTime + _options.CallTimeout;

    private static EnginePositionInput ToInput(W.PositionData p) => new(
        p.Symbol, p.Quantity.ToDecimal(), p.EntryPrice.ToDecimal(), p.CurrentPrice.ToDecimal(), p.UnrealizedPnl.ToDecimal(),
        p.RealizedPnl.ToDecimal(), WireMapper.FromUnixMs(p.UpdatedAt));

    /// <summary>Engine times are Unix milliseconds; the page uses seconds.</summary>
    private static long UnixSeconds(long unixMs) => unixMs <= 0 ? 0 : unixMs / 1000;
}
