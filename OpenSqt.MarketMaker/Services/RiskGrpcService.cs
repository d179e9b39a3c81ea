using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Risk;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Services;

/// <summary>
/// The v1 RiskService: risk metrics and exposure, limits, alerts, reconciliation and the circuit breakers. The breaker
/// RPCs are the operator's trading-state controls: OpenCircuitBreaker sets a symbol (or every symbol) REDUCING or HALTED,
/// optionally flattening; CloseCircuitBreaker is the reset that alone resumes trading after any latched trip.
/// </summary>
public sealed class RiskGrpcService(EngineHost host, RiskState risk, IExchange exchange, TimeProvider time) : W.RiskService.RiskServiceBase
{
    public override async Task<W.GetRiskMetricsResponse> GetRiskMetrics(W.GetRiskMetricsRequest request, ServerCallContext context)
    {
        var leverage = await LeverageAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetRiskMetricsResponse();
        foreach (var engine in Select(request.Symbols))
        {
            var snapshot = engine.Snapshot;
            var price = engine.ValuationPrice;
            var notional = Math.Abs(snapshot.Position * price);
            var limits = risk.Limits(engine.Symbol);
            var state = risk.StateOf(engine.Symbol);
            var limitType = state.Reason is not null ? LimitType(state.Trigger)
                : limits.MaxPositionSize > 0 && Math.Abs(snapshot.Position) >= limits.MaxPositionSize ? "max_position_size"
                : limits.MaxNotionalValue > 0 && notional >= limits.MaxNotionalValue ? "max_notional_value"
                : limits.MaxOpenOrders > 0 && snapshot.WorkingOrders >= limits.MaxOpenOrders ? "max_open_orders"
                : "";
            response.Metrics.Add(new W.SymbolRiskMetrics
            {
                Symbol = engine.Symbol,
                PositionSize = snapshot.Position.ToWire(),
                NotionalValue = notional.ToWire(),
                UnrealizedPnl = snapshot.UnrealisedPnl(price).ToWire(),
                Leverage = leverage.ToWire(),
                RiskScore = RiskScore(engine.Symbol, notional, limits).ToWire(),
                LimitBreach = limitType.Length > 0,
                LimitType = limitType,
                LastPrice = engine.LastPrice.ToWire(),
                TradingState = state.State.ToWire(),
            });
        }

        return response;
    }

    public override Task<W.GetPositionLimitsResponse> GetPositionLimits(W.GetPositionLimitsRequest request, ServerCallContext context)
    {
        var engine = Engine(request.Symbol);
        var limits = risk.Limits(engine.Symbol);
        return Task.FromResult(new W.GetPositionLimitsResponse
        {
            Symbol = engine.Symbol,
            MaxPositionSize = limits.MaxPositionSize.ToWire(),
            MaxNotionalValue = limits.MaxNotionalValue.ToWire(),
            MaxLeverage = limits.MaxLeverage.ToWire(),
            MaxOrderSize = limits.MaxOrderSize.ToWire(),
            MaxOpenOrders = limits.MaxOpenOrders,
        });
    }

    public override Task<W.UpdatePositionLimitsResponse> UpdatePositionLimits(W.UpdatePositionLimitsRequest request, ServerCallContext context)
    {
        var engine = Engine(request.Symbol);
        var limits = new PositionLimits(request.MaxPositionSize.ToDecimal(), request.MaxNotionalValue.ToDecimal(), request.MaxLeverage.ToDecimal(), request.MaxOrderSize.ToDecimal(), request.MaxOpenOrders);
        if (limits.MaxPositionSize < 0 || limits.MaxNotionalValue < 0 || limits.MaxLeverage < 0 || limits.MaxOrderSize < 0 || limits.MaxOpenOrders < 0)
        {
            return Task.FromResult(new W.UpdatePositionLimitsResponse { Success = false, Message = "limits must be zero (no limit) or positive" });
        }

        // The grid sizes its orders from configuration: say so rather than store a limit nothing would enforce.
        if (limits.MaxOrderSize > 0)
        {
            return Task.FromResult(new W.UpdatePositionLimitsResponse
            {
                Success = false,
                Message = $"max_order_size is not an operator limit here: the order size of {engine.Symbol} is MarketMaker:Symbols:<i>:OrderQuantity; set it to 0",
            });
        }

        risk.SetLimits(engine.Symbol, limits);
        return Task.FromResult(new W.UpdatePositionLimitsResponse { Success = true, Message = $"limits of {engine.Symbol} updated ({request.Reason})" });
    }

    public override async Task<W.GetExposureResponse> GetExposure(W.GetExposureRequest request, ServerCallContext context)
    {
        var account = await exchange.GetAccountAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetExposureResponse();
        decimal total = 0, unrealised = 0;
        var exposures = new List<(string Symbol, decimal Notional)>();
        foreach (var engine in host.Engines.Values.OrderBy(e => e.Symbol, StringComparer.Ordinal))
        {
            var price = engine.ValuationPrice;
            var notional = Math.Abs(engine.Snapshot.Position * price);
            total += notional;
            unrealised += engine.Snapshot.UnrealisedPnl(price);
            exposures.Add((engine.Symbol, notional));
        }

        response.TotalNotional = total.ToWire();
        response.TotalUnrealizedPnl = unrealised.ToWire();
        response.PortfolioLeverage = (account.MarginBalance > 0 ? Math.Round(total / account.MarginBalance, 6) : 0m).ToWire();
        response.Exposures.AddRange(exposures.Select(e => new W.SymbolExposure
        {
            Symbol = e.Symbol,
            NotionalValue = e.Notional.ToWire(),
            PercentageOfPortfolio = (total > 0 ? Math.Round(100m * e.Notional / total, 4) : 0m).ToWire(),
        }));
        return response;
    }

    public override async Task SubscribeRiskAlerts(W.SubscribeRiskAlertsRequest request, IServerStreamWriter<W.RiskAlert> responseStream, ServerCallContext context)
    {
        using var alerts = risk.Alerts.Subscribe();

        // Headers go out once the subscription is in place: the client's signal that it is subscribed.
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);

        // A subscriber learns at once about halts already in force.
        foreach (var engine in host.Engines.Values)
        {
            if (risk.HaltReason(engine.Symbol) is { } reason)
            {
                await responseStream.WriteAsync(new W.RiskAlert
                {
                    Symbol = engine.Symbol,
                    AlertType = "halted",
                    Severity = "critical",
                    Message = reason,
                    Timestamp = time.GetUtcNow().ToUnixTimeMilliseconds(),
                }, context.CancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            await foreach (var alert in alerts.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                var wire = new W.RiskAlert
                {
                    Symbol = alert.Symbol,
                    AlertType = alert.Type,
                    Severity = alert.Severity,
                    Message = alert.Message,
                    Timestamp = alert.Time.ToUnixTimeMilliseconds(),
                };
                foreach (var (key, value) in alert.Metadata)
                {
                    wire.Metadata[key] = value;
                }
                await responseStream.WriteAsync(wire, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The subscriber left.
        }
    }

    public override Task<W.TriggerReconciliationResponse> TriggerReconciliation(W.TriggerReconciliationRequest request, ServerCallContext context)
    {
        if (request.Symbol.Length > 0)
        {
            Engine(request.Symbol);
        }

        if (!host.Ready)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "the engine has not finished its first reconciliation yet"));
        }

        var run = host.RequestReconciliation("operator", request.Symbol.Length > 0 ? request.Symbol : null);
        return Task.FromResult(new W.TriggerReconciliationResponse { ReconciliationId = run.Id, Status = run.Status });
    }

    public override Task<W.GetReconciliationStatusResponse> GetReconciliationStatus(W.GetReconciliationStatusRequest request, ServerCallContext context)
    {
        var run = host.Run(request.ReconciliationId)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"reconciliation '{request.ReconciliationId}' is unknown"));
        var response = new W.GetReconciliationStatusResponse
        {
            ReconciliationId = run.Id,
            Status = run.Status,
            StartedAt = run.StartedAt.ToUnixTimeMilliseconds(),
            CompletedAt = run.CompletedAt?.ToUnixTimeMilliseconds() ?? 0,
        };
        response.Results.AddRange(run.Results.Select(r => new W.ReconciliationResult
        {
            Symbol = r.Symbol,
            PositionMatch = r.PositionMatch,
            LocalPosition = r.LocalPosition.ToWire(),
            ExchangePosition = r.VenuePosition.ToWire(),
            Divergence = r.Divergence.ToWire(),
            Corrected = r.Corrected,
        }));
        return Task.FromResult(response);
    }

    public override Task<W.GetCircuitBreakerStatusResponse> GetCircuitBreakerStatus(W.GetCircuitBreakerStatusRequest request, ServerCallContext context)
    {
        BreakerStatus status;
        if (request.Symbol.Length > 0)
        {
            status = Breaker(request.Symbol).Status;
        }
        else
        {
            // Without a symbol: the engine as a whole (open when any symbol's breaker is open; its trading state is the
            // strictest of its symbols, every trigger included).
            var all = risk.Breakers.Select(b => b.Status).ToArray();
            var open = all.Where(s => s.IsOpen).OrderByDescending(s => s.State).ToArray();
            status = new BreakerStatus("", open.Length > 0, string.Join("; ", open.Select(s => $"{s.Symbol}: {s.Reason}")), open.FirstOrDefault()?.Trigger ?? BreakerTrigger.None,
                risk.EngineState, open.Any(s => s.Flatten), open.Select(s => s.OpenedAt).Min(), all.Select(s => s.ConsecutiveLosses).DefaultIfEmpty(0).Max(),
                all.Sum(s => s.TotalPnl), all.Sum(s => s.Equity), all.Sum(s => s.EquityPeak));
        }

        return Task.FromResult(new W.GetCircuitBreakerStatusResponse
        {
            Status = new W.CircuitBreakerStatus
            {
                Symbol = status.Symbol,
                IsOpen = status.IsOpen,
                Reason = status.Reason,
                OpenedAt = status.OpenedAt?.ToUnixTimeMilliseconds() ?? 0,
                ConsecutiveLosses = status.ConsecutiveLosses,
                TotalPnl = status.TotalPnl.ToWire(),
                TradingState = status.State.ToWire(),
                Trigger = status.IsOpen ? status.Trigger.ToString() : "",
                Equity = status.Equity.ToWire(),
                EquityPeak = status.EquityPeak.ToWire(),
                Flatten = status.Flatten,
            },
        });
    }

    public override Task<W.OpenCircuitBreakerResponse> OpenCircuitBreaker(W.OpenCircuitBreakerRequest request, ServerCallContext context)
    {
        var breakers = Breakers(request.Symbol).ToArray();
        if (!TradingStateExtensions.TryParseWire(request.TradingState, TradingState.Halted, out var state) || state == TradingState.Active)
        {
            return Task.FromResult(new W.OpenCircuitBreakerResponse { Success = false, Message = $"trading_state '{request.TradingState}' must be REDUCING or HALTED (empty means HALTED); CloseCircuitBreaker resumes trading" });
        }

        if (request.Flatten && state != TradingState.Halted)
        {
            return Task.FromResult(new W.OpenCircuitBreakerResponse { Success = false, Message = "flatten needs trading_state HALTED" });
        }

        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "opened by an operator" : $"opened by an operator: {request.Reason}";
        foreach (var breaker in breakers)
        {
            breaker.Open(BreakerTrigger.Operator, reason, state, request.Flatten);
        }

        return Task.FromResult(new W.OpenCircuitBreakerResponse { Success = true, Message = $"{(request.Symbol.Length > 0 ? request.Symbol : "every symbol")} {state.ToWire()}{(request.Flatten ? ", flattening" : "")} until CloseCircuitBreaker" });
    }

    public override Task<W.CloseCircuitBreakerResponse> CloseCircuitBreaker(W.CloseCircuitBreakerRequest request, ServerCallContext context)
    {
        var breakers = Breakers(request.Symbol).ToArray();

        // A state-store failure halts every symbol; the reset clears it only once the store takes a write again.
        if (!risk.TryClearStoreFailure(out var storeProblem))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, storeProblem ?? "the state store still fails"));
        }

        foreach (var breaker in breakers)
        {
            breaker.Close();
        }

        return Task.FromResult(new W.CloseCircuitBreakerResponse { Success = true });
    }

    private IEnumerable<CircuitBreaker> Breakers(string symbol) => symbol.Length > 0 ? [Breaker(symbol)] : risk.Breakers;

    private CircuitBreaker Breaker(string symbol) =>
        risk.Breaker(symbol) ?? throw new RpcException(new Status(StatusCode.NotFound, $"symbol '{symbol}' is not traded by this engine; it trades {string.Join(", ", host.Engines.Keys)}"));

    private static string LimitType(RiskTrigger trigger) => trigger switch
    {
        RiskTrigger.Fatal => "fatal",
        RiskTrigger.StateStore => "state_store",
        RiskTrigger.Connector => "connector_unreachable",
        RiskTrigger.StaleData => "stale_price",
        RiskTrigger.Anomaly => "market_anomaly",
        RiskTrigger.Drawdown => "drawdown",
        RiskTrigger.Margin => "margin",
        _ => "circuit_breaker",
    };

    private static decimal RiskScore(string symbol, decimal notional, PositionLimits limits)
    {
        _ = symbol;
        return limits.MaxNotionalValue > 0 ? Math.Round(Math.Min(1m, notional / limits.MaxNotionalValue), 4) : 0m;
    }

    private async Task<decimal> LeverageAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await exchange.GetAccountAsync(cancellationToken).ConfigureAwait(false)).Leverage;
        }
        catch (ExchangeException ex)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the account could not be read from the connector: {ex.Message}"));
        }
    }

    private IEnumerable<SymbolEngine> Select(IReadOnlyCollection<string> symbols)
    {
        foreach (var symbol in symbols)
        {
            Engine(symbol);
        }

        return host.Engines.Values.Where(e => symbols.Count == 0 || symbols.Contains(e.Symbol)).OrderBy(e => e.Symbol, StringComparer.Ordinal);
    }

    private SymbolEngine Engine(string symbol) =>
        host.Engines.TryGetValue(symbol, out var engine)
            ? engine
            : throw new RpcException(new Status(StatusCode.NotFound, $"symbol '{symbol}' is not traded by this engine; it trades {string.Join(", ", host.Engines.Keys)}"));
}
