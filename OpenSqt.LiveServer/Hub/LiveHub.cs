using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.LiveServer.Diagnostics;
using OpenSqt.LiveServer.Options;
using OpenSqt.LiveServer.Protocol;

namespace OpenSqt.LiveServer.Hub;

/// <summary>
/// The one writer of what browsers see. Feeds and WebSocket sessions post <see cref="HubInput"/>s to one bounded
/// channel; this loop applies them in order, encodes each resulting message once and queues it to every browser.
/// A joining browser is handled in the same order, so it gets the current state and then every later change, with
/// nothing lost or doubled in between.
/// </summary>
public sealed class LiveHub : BackgroundService
{
    private const int TerminalIdsKept = 10_000;

    private readonly Channel<HubInput> _inputs = Channel.CreateBounded<HubInput>(new BoundedChannelOptions(65_536)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly LiveServerOptions _options;
    private readonly LiveServerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<LiveHub> _logger;
    private readonly TimeSpan _interval;
    private readonly List<LiveClient> _clients = [];
    private readonly Dictionary<string, SymbolState> _symbols = new(StringComparer.Ordinal);
    private readonly List<string> _symbolOrder = [];
    private readonly HashSet<string> _engineSymbols = new(StringComparer.Ordinal);
    private string _venue = "";
    private AccountMessage? _account;
    private SafetyMessage? _safety;
    private LinkStatusDto _connector;
    private LinkStatusDto _engine;
    private volatile HubSnapshot _snapshot = HubSnapshot.Empty;

    public LiveHub(IOptions<LiveServerOptions> options, LiveServerMetrics metrics, TimeProvider time, ILogger<LiveHub> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _interval = KlineInterval.ToTimeSpan(_options.Interval);
        var now = PageNames.Seconds(time.GetUtcNow());
        _connector = new LinkStatusDto(LinkStates.Connecting, "connecting to the ExchangeConnector", now);
        _engine = new LinkStatusDto(LinkStates.Connecting, "connecting to the engine", now);
    }

    /// <summary>A cheap summary for health checks and the status route, refreshed after every input.</summary>
    public HubSnapshot Snapshot => _snapshot;

    /// <summary>Queues an input; waits only when the hub is 65 536 inputs behind.</summary>
    public ValueTask PostAsync(HubInput input, CancellationToken cancellationToken = default) =>
        _inputs.Writer.WriteAsync(input, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var input in _inputs.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                Apply(input);
                _snapshot = new HubSnapshot(_venue, [.. _symbolOrder], _connector, _engine, _clients.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            foreach (var client in _clients)
            {
                client.Complete();
            }
        }
    }

    private void Apply(HubInput input)
    {
        switch (input)
        {
            case JoinInput join:
                _clients.Add(join.Client);
                foreach (var message in CurrentState())
                {
                    if (!join.Client.TryEnqueue(message))
                    {
                        Evict(join.Client);
                        break;
                    }
                }

                break;
            case LeaveInput leave:
                _clients.Remove(leave.Client);
                break;
            case SymbolsInput symbols:
                ApplySymbols(symbols);
                break;
            case HistoryInput history:
                ApplyHistory(history);
                break;
            case KlineInput kline:
                ApplyKline(kline.Candle);
                break;
            case OpenOrdersInput open:
                ApplyOpenOrders(open.Orders);
                break;
            case OrderUpdateInput update:
                ApplyOrderUpdate(update.Update);
                break;
            case SafetyInput safety:
                ApplySafety(safety.Status);
                break;
            case AccountInput account:
                _account = ToMessage(account.Account);
                Broadcast(Encode(_account));
                break;
            case ConnectorPositionsInput positions:
                ApplyConnectorPositions(positions);
                break;
            case EnginePositionInput position:
                ApplyEnginePosition(position);
                break;
            case EngineSymbolsInput engineSymbols:
                if (!_engineSymbols.SetEquals(engineSymbols.Symbols))
                {
                    _engineSymbols.Clear();
                    _engineSymbols.UnionWith(engineSymbols.Symbols);
                    Broadcast(Encode(ConnectionMessage()));
                    foreach (var state in _symbols.Values)
                    {
                        Broadcast(Encode(RiskOf(state)));
                    }
                }

                break;
            case EngineRiskInput risk:
                {
                    var riskState = StateOf(risk.Symbol);
                    var before = RiskOf(riskState);
                    riskState.CircuitBreaker = risk.CircuitBreaker;
                    riskState.EngineRealizedPnl = risk.RealizedPnl ?? riskState.EngineRealizedPnl;
                    riskState.HaltType = risk.HaltType;
                    var after = RiskOf(riskState);
                    if (!SameRisk(before, after))
                    {
                        Broadcast(Encode(after));
                    }

                    break;
                }
            case RiskAlertInput alert:
                ApplyAlert(alert);
                break;
            case LinkInput link:
                ApplyLink(link);
                break;
            default:
                throw new InvalidOperationException($"unknown hub input {input.GetType().Name}");
        }
    }

    private void ApplySymbols(SymbolsInput input)
    {
        _venue = input.Venue;
        foreach (var symbol in input.Symbols)
        {
            StateOf(symbol);
            if (!_symbolOrder.Contains(symbol))
            {
                _symbolOrder.Add(symbol);
            }
        }

        Broadcast(Encode(ConnectionMessage()));
    }

    private void ApplyHistory(HistoryInput input)
    {
        if (!_symbols.TryGetValue(input.Symbol, out var state))
        {
            return;
        }

        state.Candles.Clear();
        foreach (var candle in input.Candles.TakeLast(_options.HistoryLimit))
        {
            state.Candles.Add(ToDto(candle));
        }

        Broadcast(Encode(HistoryOf(state)));
    }

    private void ApplyKline(Candle candle)
    {
        if (!_symbols.TryGetValue(candle.Symbol, out var state) || candle.Interval != _options.Interval)
        {
            return;
        }

        var dto = ToDto(candle);
        var candles = state.Candles;
        if (candles.Count > 0 && candles[^1].Time == dto.Time)
        {
            candles[^1] = dto;
        }
        else if (candles.Count == 0 || candles[^1].Time < dto.Time)
        {
            candles.Add(dto);
            if (candles.Count > _options.HistoryLimit)
            {
                candles.RemoveRange(0, candles.Count - _options.HistoryLimit);
            }
        }
        else
        {
            // Older than what the chart holds: the history already has it.
            return;
        }

        Broadcast(Encode(new KlineMessage(candle.Symbol, _options.Interval, dto, candle.IsClosed)));
    }

    private void ApplyOpenOrders(IReadOnlyList<Order> orders)
    {
        foreach (var state in _symbols.Values)
        {
            state.Working.Clear();
        }

        foreach (var order in orders)
        {
            if (_symbols.TryGetValue(order.Symbol, out var state) && order.Status.IsOpen() && !state.IsTerminal(order.ExchangeOrderId))
            {
                state.Working[order.ExchangeOrderId] = new OrderDto(
                    order.ExchangeOrderId, order.ClientOrderId, PageNames.Of(order.Side), PageNames.Of(order.Type), PageNames.Of(order.Status),
                    order.Price, order.Quantity, order.FilledQuantity, PageNames.Seconds(order.UpdatedAt == default ? order.CreatedAt : order.UpdatedAt));
            }
        }

        foreach (var state in _symbols.Values)
        {
            Broadcast(Encode(OrdersOf(state)));
        }
    }

    private void ApplyOrderUpdate(OrderUpdate update)
    {
        if (!_symbols.TryGetValue(update.Symbol, out var state))
        {
            return;
        }

        if (update.LastFill is { } fill && state.AddFill(ToDto(fill, update), _options.FillHistoryLimit))
        {
            Broadcast(Encode(new TradeEventMessage(state.Symbol, state.Fills.Last(), state.BuyCount, state.SellCount)));
        }

        if (state.IsTerminal(update.ExchangeOrderId))
        {
            // A terminal state is never left: a late or duplicate update changes nothing.
            return;
        }

        var dto = new OrderDto(
            update.ExchangeOrderId, update.ClientOrderId, PageNames.Of(update.Side), PageNames.Of(update.Type), PageNames.Of(update.Status),
            update.Price, update.Quantity, update.FilledQuantity, PageNames.Seconds(update.UpdateTime));
        if (update.Status.IsTerminal())
        {
            state.MarkTerminal(update.ExchangeOrderId, TerminalIdsKept);
            state.Working.Remove(update.ExchangeOrderId);
        }
        else
        {
            if (state.Working.TryGetValue(update.ExchangeOrderId, out var known) && known.FilledQuantity > dto.FilledQuantity)
            {
                // Cumulative filled quantity only grows: this update is older than what we hold.
                return;
            }

            state.Working[update.ExchangeOrderId] = dto;
        }

        Broadcast(Encode(new OrdersMessage(state.Symbol, Snapshot: false, [dto])));
    }

    private void ApplyConnectorPositions(ConnectorPositionsInput input)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var position in input.Positions)
        {
            if (_symbols.TryGetValue(position.Symbol, out var state))
            {
                seen.Add(position.Symbol);
                state.ConnectorPosition = new PositionMessage(
                    position.Symbol, "connector", position.Size, position.EntryPrice, position.MarkPrice, position.UnrealizedPnl, null,
                    PageNames.Seconds(position.UpdateTime));
                Broadcast(Encode(state.ConnectorPosition));
            }
        }

        if (input.Snapshot)
        {
            var now = PageNames.Seconds(_time.GetUtcNow());
            foreach (var state in _symbols.Values.Where(s => !seen.Contains(s.Symbol)))
            {
                state.ConnectorPosition = new PositionMessage(state.Symbol, "connector", 0m, 0m, 0m, 0m, null, now);
                Broadcast(Encode(state.ConnectorPosition));
            }
        }
    }

    private void ApplyEnginePosition(EnginePositionInput input)
    {
        // The engine may answer before the connector session named the watched symbols: keep it for when it does.
        var state = StateOf(input.Symbol);
        state.EnginePosition = new PositionMessage(
            input.Symbol, "engine", input.Quantity, input.EntryPrice, input.CurrentPrice, input.UnrealizedPnl, input.RealizedPnl,
            PageNames.Seconds(input.UpdatedAt));
        Broadcast(Encode(state.EnginePosition));

        // The position update carries the engine's realised PnL too: keep risk_status in step with it at once.
        if (state.EngineRealizedPnl != input.RealizedPnl)
        {
            state.EngineRealizedPnl = input.RealizedPnl;
            Broadcast(Encode(RiskOf(state)));
        }
    }

    private void ApplyAlert(RiskAlertInput input)
    {
        foreach (var state in _symbols.Values)
        {
            if (input.Symbol.Length == 0 || input.Symbol == state.Symbol)
            {
                state.LastAlert = input.Alert;
                if (input.Alert.Severity.Equals("critical", StringComparison.OrdinalIgnoreCase))
                {
                    state.LastCriticalAlert = input.Alert;
                }

                Broadcast(Encode(RiskOf(state)));
            }
        }
    }

    private void ApplyLink(LinkInput input)
    {
        var now = PageNames.Seconds(_time.GetUtcNow());
        var previous = input.Link == LinkInput.Connector ? _connector : _engine;
        if (previous.State == input.State && previous.Detail == input.Detail)
        {
            return;
        }

        var status = new LinkStatusDto(input.State, input.Detail, previous.State == input.State ? previous.Since : now);
        if (input.Link == LinkInput.Connector)
        {
            _connector = status;
            Broadcast(Encode(ConnectionMessage()));
            return;
        }

        _engine = status;
        Broadcast(Encode(ConnectionMessage()));
        foreach (var state in _symbols.Values)
        {
            Broadcast(Encode(RiskOf(state)));
        }
    }

    private IEnumerable<byte[]> CurrentState()
    {
        yield return Encode(ConnectionMessage());
        if (_safety is not null)
        {
            yield return Encode(_safety);
        }
        if (_account is not null)
        {
            yield return Encode(_account);
        }

        foreach (var symbol in _symbolOrder)
        {
            var state = _symbols[symbol];
            yield return Encode(HistoryOf(state));
            yield return Encode(OrdersOf(state));
            if (state.ConnectorPosition is not null)
            {
                yield return Encode(state.ConnectorPosition);
            }

            if (state.EnginePosition is not null)
            {
                yield return Encode(state.EnginePosition);
            }

            yield return Encode(RiskOf(state));
        }
    }

    private SymbolState StateOf(string symbol)
    {
        if (!_symbols.TryGetValue(symbol, out var state))
        {
            state = new SymbolState(symbol);
            _symbols[symbol] = state;
        }

        return state;
    }

    private void Broadcast(byte[] message)
    {
        for (var i = _clients.Count - 1; i >= 0; i--)
        {
            var client = _clients[i];
            if (!client.TryEnqueue(message))
            {
                Evict(client);
            }
        }
    }

    private void Evict(LiveClient client)
    {
        _clients.Remove(client);
        if (client.Evict())
        {
            _metrics.Evicted();
            LiveServerLog.Evicted(_logger, client.Id, client.RemoteIp, client.Capacity);
        }
    }

    private ConnectionMessage ConnectionMessage() =>
        new(_venue, _options.Interval, [.. _symbolOrder], [.. _symbolOrder.Where(_engineSymbols.Contains)], _connector, _engine);

    private HistoryMessage HistoryOf(SymbolState state) =>
        new(state.Symbol, _options.Interval, [.. state.Candles], [.. state.Fills], state.BuyCount, state.SellCount);

    private static OrdersMessage OrdersOf(SymbolState state) => new(state.Symbol, Snapshot: true, [.. state.Working.Values]);

    /// <summary>
    /// The risk state the page shows. Whether the engine trades normally comes from its polled, authoritative status
    /// (circuit breaker, GetRiskMetrics' limit type); the alert stream supplies the latest reason in words.
    /// </summary>
    private RiskStatusMessage RiskOf(SymbolState state)
    {
        var engineUp = _engine.State == LinkStates.Connected;
        var traded = _engineSymbols.Contains(state.Symbol);
        var (risk, reason) =
            !engineUp ? (RiskStates.Unknown, $"engine unavailable: {_engine.Detail}")
            : !traded ? (RiskStates.NotTraded, $"the engine does not trade {state.Symbol}")
            : state.CircuitBreaker is { Open: true } cb ? (RiskStates.CircuitOpen, cb.Reason)
            : state.HaltType is { } halt ? (RiskStates.Halted, state.LastCriticalAlert?.Message is { Length: > 0 } why ? why : halt.Replace('_', ' '))
            : (RiskStates.Trading, "");
        return new RiskStatusMessage(
            state.Symbol, engineUp ? "AVAILABLE" : "UNAVAILABLE", risk, reason,
            engineUp && traded ? state.CircuitBreaker : null, engineUp && traded ? state.EngineRealizedPnl : null, state.LastAlert);
    }

    private static bool SameRisk(RiskStatusMessage a, RiskStatusMessage b) =>
        a.State == b.State && a.Reason == b.Reason && a.CircuitBreaker == b.CircuitBreaker && a.RealizedPnl == b.RealizedPnl && a.LastAlert == b.LastAlert;

    private static AccountMessage ToMessage(Account account) =>
        new(account.WalletBalance, account.MarginBalance, account.AvailableBalance, account.UnrealizedPnl, PageNames.Seconds(account.UpdateTime));

    private static CandleDto ToDto(Candle candle) =>
        new(PageNames.Seconds(candle.OpenTime), candle.Open, candle.High, candle.Low, candle.Close, candle.Volume);

    private FillDto ToDto(Fill fill, OrderUpdate update) =>
        new(fill.TradeId, fill.ExchangeOrderId, fill.ClientOrderId ?? update.ClientOrderId, PageNames.Of(fill.Side), fill.Price, fill.Quantity,
            fill.Fee, fill.FeeAsset, fill.RealizedPnl, PageNames.Seconds(fill.Timestamp),
            PageNames.Seconds(KlineInterval.Align(fill.Timestamp, _interval)));

    private static byte[] Encode(HistoryMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.HistoryMessage);

    private static byte[] Encode(KlineMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.KlineMessage);

    private static byte[] Encode(OrdersMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.OrdersMessage);

    private static byte[] Encode(TradeEventMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.TradeEventMessage);

    private static byte[] Encode(AccountMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.AccountMessage);

    private static byte[] Encode(PositionMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.PositionMessage);

    private static byte[] Encode(RiskStatusMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.RiskStatusMessage);

    /// <summary>Broadcast only when something a reader sees changed (the status is polled with the health check).</summary>
    private void ApplySafety(OpenSqt.Contracts.Remote.ConnectorSafetyStatus status)
    {
        var message = new SafetyMessage(
            status.Exchange, status.VenueSwitch.Supported, status.VenueSwitch.Enabled, status.VenueSwitch.TimeoutSeconds, status.VenueSwitch.Scope,
            [.. status.VenueSwitch.Armed.Select(a => new ArmedSwitchDto(a.Symbol, PageNames.Seconds(a.LastRefreshedAt), PageNames.Seconds(a.FiresAt)))],
            status.VenueSwitch.LastError, status.VenueSwitch.Note,
            [.. status.Leases.Select(l => new LeaseDto(l.ClientName, l.Prefix, (int)l.Ttl.TotalSeconds, PageNames.Seconds(l.LastRenewedAt), PageNames.Seconds(l.ExpiresAt)))],
            status.LapsedLeases, status.OrdersCancelledByLapse);
        var encoded = Encode(message);
        if (_safety is not null && Encode(_safety).AsSpan().SequenceEqual(encoded))
        {
            return;
        }

        _safety = message;
        Broadcast(encoded);
    }

    private static byte[] Encode(SafetyMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.SafetyMessage);

    private static byte[] Encode(ConnectionMessage m) => JsonSerializer.SerializeToUtf8Bytes(m, LiveJsonContext.Default.ConnectionMessage);

    private sealed class SymbolState(string symbol)
    {
        private readonly HashSet<string> _terminal = new(StringComparer.Ordinal);
        private readonly Queue<string> _terminalOrder = new();
        private readonly HashSet<string> _fillIds = new(StringComparer.Ordinal);

        public string Symbol { get; } = symbol;
        public List<CandleDto> Candles { get; } = [];
        public Dictionary<string, OrderDto> Working { get; } = new(StringComparer.Ordinal);
        public Queue<FillDto> Fills { get; } = new();
        public int BuyCount { get; private set; }
        public int SellCount { get; private set; }
        public PositionMessage? ConnectorPosition { get; set; }
        public PositionMessage? EnginePosition { get; set; }
        public CircuitBreakerDto? CircuitBreaker { get; set; }
        public decimal? EngineRealizedPnl { get; set; }
        public RiskAlertDto? LastAlert { get; set; }
        public RiskAlertDto? LastCriticalAlert { get; set; }
        public string? HaltType { get; set; }

        public bool IsTerminal(string orderId) => _terminal.Contains(orderId);

        public void MarkTerminal(string orderId, int keep)
        {
            if (_terminal.Add(orderId))
            {
                _terminalOrder.Enqueue(orderId);
                if (_terminalOrder.Count > keep)
                {
                    _terminal.Remove(_terminalOrder.Dequeue());
                }
            }
        }

        /// <summary>Adds a fill once; a fill seen before (same trade id) is a no-op.</summary>
        public bool AddFill(FillDto fill, int keep)
        {
            if (!_fillIds.Add(fill.TradeId))
            {
                return false;
            }

            if (fill.Side == "BUY")
            {
                BuyCount++;
            }
            else
            {
                SellCount++;
            }

            Fills.Enqueue(fill);
            while (Fills.Count > keep && Fills.Count > 0)
            {
                _fillIds.Remove(Fills.Dequeue().TradeId);
            }

            return true;
        }
    }
}

/// <summary>What the hub holds, summarised for health checks and <c>/api/status</c>.</summary>
public sealed record HubSnapshot(string Venue, IReadOnlyList<string> Symbols, LinkStatusDto Connector, LinkStatusDto Engine, int Clients)
{
    public static HubSnapshot Empty { get; } = new("", [], new LinkStatusDto(LinkStates.Connecting, "starting", 0), new LinkStatusDto(LinkStates.Connecting, "starting", 0), 0);
}
