using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>Operator limits of one symbol; zero means no limit.</summary>
public sealed record PositionLimits(decimal MaxPositionSize, decimal MaxNotionalValue, decimal MaxLeverage, decimal MaxOrderSize)
{
    public static PositionLimits None { get; } = new(0, 0, 0, 0);
}

/// <summary>
/// Everything that may stop the engine from trading, in one place: the market-anomaly halt, one circuit breaker per
/// symbol, the connector's reachability, a fatal error, and operator limits. Engines ask it for their gate on every
/// decision and are told when it changes.
/// </summary>
public sealed class RiskState
{
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PositionLimits> _limits = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly CircuitBreakerOptions _breakerOptions;
    private volatile string? _anomaly;
    private volatile string? _connectorProblem = "not connected to the ExchangeConnector yet";
    private volatile string? _fatal;

    public RiskState(IOptions<MarketMakerOptions> options, TimeProvider time)
    {
        _time = time;
        _breakerOptions = options.Value.CircuitBreaker;
        foreach (var grid in options.Value.Symbols)
        {
            var breaker = new CircuitBreaker(grid.Symbol, _breakerOptions, time);
            breaker.Changed += OnBreakerChanged;
            _breakers[grid.Symbol] = breaker;
        }
    }

    /// <summary>Raised whenever what is allowed may have changed; engines re-decide at once.</summary>
    public event Action? Changed;

    public Broadcast<RiskAlertEvent> Alerts { get; } = new();

    public IReadOnlyCollection<CircuitBreaker> Breakers => _breakers.Values.ToArray();

    public string? AnomalyReason => _anomaly;

    public string? ConnectorProblem => _connectorProblem;

    public string? FatalError => _fatal;

    public CircuitBreaker? Breaker(string symbol) => _breakers.TryGetValue(symbol, out var b) ? b : null;

    public PositionLimits Limits(string symbol) => _limits.TryGetValue(symbol, out var l) ? l : PositionLimits.None;

    public void SetLimits(string symbol, PositionLimits limits)
    {
        _limits[symbol] = limits;
        Alert(symbol, "position_limits", "info", $"position limits of {symbol} changed to {limits}");
        Changed?.Invoke();
    }

    public TradingGate GateFor(string symbol)
    {
        var ordersAllowed = _fatal is null && _connectorProblem is null && !(Breaker(symbol)?.IsOpen ?? false);
        return new TradingGate(ordersAllowed, _anomaly is null);
    }

    /// <summary>Why the symbol does not trade normally, or null.</summary>
    public string? HaltReason(string symbol)
    {
        if (_fatal is { } fatal)
        {
            return fatal;
        }

        if (_connectorProblem is { } problem)
        {
            return $"connector unreachable, placing nothing: {problem}";
        }

        if (Breaker(symbol) is { IsOpen: true } breaker)
        {
            return $"circuit breaker open on {symbol}: {breaker.Status.Reason}";
        }

        return _anomaly is { } anomaly ? $"buys halted: {anomaly}" : null;
    }

    public void SetAnomaly(string? reason)
    {
        if (_anomaly == reason)
        {
            return;
        }

        _anomaly = reason;
        Alert("", reason is null ? "anomaly_recovered" : "market_anomaly", reason is null ? "info" : "critical",
            reason ?? "market recovered; buying resumes");
        Changed?.Invoke();
    }

    public void SetConnectorProblem(string? problem)
    {
        if (_connectorProblem == problem)
        {
            return;
        }

        var was = _connectorProblem;
        _connectorProblem = problem;
        if ((was is null) != (problem is null))
        {
            Alert("", problem is null ? "connector_restored" : "connector_unreachable", problem is null ? "info" : "critical",
                problem ?? "connector reachable again");
        }

        Changed?.Invoke();
    }

    public void SetFatal(string reason)
    {
        _fatal = reason;
        Alert("", "fatal", "critical", reason);
        Changed?.Invoke();
    }

    public void Alert(string symbol, string type, string severity, string message, IReadOnlyDictionary<string, string>? metadata = null) =>
        Alerts.Publish(new RiskAlertEvent(symbol, type, severity, message, _time.GetUtcNow(), metadata ?? new Dictionary<string, string>()));

    private void OnBreakerChanged(BreakerStatus status)
    {
        Alert(status.Symbol, status.IsOpen ? "circuit_breaker_open" : "circuit_breaker_closed", status.IsOpen ? "critical" : "info",
            status.IsOpen ? status.Reason : $"circuit breaker of {status.Symbol} closed",
            new Dictionary<string, string> { ["trigger"] = status.Trigger.ToString(), ["consecutive_losses"] = status.ConsecutiveLosses.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Changed?.Invoke();
    }
}
