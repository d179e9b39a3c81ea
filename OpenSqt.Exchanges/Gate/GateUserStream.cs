using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// The private side of the Gate futures WebSocket. Gate authenticates each subscribe request (an <c>auth</c> block
/// signing <c>channel=&lt;c&gt;&amp;event=subscribe&amp;time=&lt;t&gt;</c>), so every new connection subscribes
/// <c>futures.usertrades</c>, <c>futures.orders</c>, <c>futures.positions</c> and <c>futures.balances</c> for
/// <c>[user_id, "!all"]</c> again with a fresh time. <c>futures.orders</c> carries cumulative state (size, left,
/// fill_price) but not the executions, which come on <c>futures.usertrades</c>: the trades of an order are held until
/// the order update that covers them and travel on it as its <see cref="OrderUpdate.LastFill"/> (a trade that comes
/// after its order update is sent on a copy of that update). Balance changes trigger a fresh account snapshot, at most
/// one per <see cref="VenueOptions.AccountRefreshInterval"/> however many pushes arrive. <c>futures.positions</c> carries
/// no mark price and no unrealised PnL (vector gate_ws_futures_positions, from the Gate docs): a position is published
/// with the contract's mark price from the mark price source (the ticker stream or REST) and the unrealised PnL worked
/// out from it, never with a zero standing in for a value Gate did not send.
/// </summary>
internal sealed class GateUserStream : VenueUserStream
{
    public const string OrdersChannel = "futures.orders";
    public const string UserTradesChannel = "futures.usertrades";
    public const string PositionsChannel = "futures.positions";
    public const string BalancesChannel = "futures.balances";
    private static readonly string[] PrivateChannels = [UserTradesChannel, OrdersChannel, PositionsChannel, BalancesChannel];
    private readonly VenueCredentials _credentials;
    private readonly Func<CancellationToken, Task<string>> _userId;
    private readonly Func<CancellationToken, Task<IReadOnlyList<GateContract>>> _loadContracts;
    private readonly GatePinger _pinger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, GateContract> _contracts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<GateUserTrade>> _pendingTrades = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OrderTrack> _orders = new(StringComparer.Ordinal);
    private readonly RecentKeys<(string OrderId, string? TradeId, OrderStatus Status, decimal Filled)> _seen = new();
    private readonly RecentKeys<string> _seenTrades = new();
    private readonly Channel<(Position Position, string Contract)> _positionPushes = Channel.CreateUnbounded<(Position, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<string, CancellationToken, Task<decimal?>> _markPrice;
    private readonly GateUnknownValues _unknown;
    private readonly RecentOrders _recent = new(10_000);

    /// <summary>Builds the stream; <c>markPrice</c> gives the mark price of a contract (by Gate name), or null when none can be had now.</summary>
    public GateUserStream(GateOptions options, VenueCredentials credentials, Func<CancellationToken, Task<string>> userId, Func<CancellationToken, Task<IReadOnlyList<GateContract>>> contracts, Func<CancellationToken, Task<Account>> fetchAccount, Func<string, CancellationToken, Task<decimal?>> markPrice, GateUnknownValues unknown, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(GateParsers.Venue, time, logger, fetchAccount, options.AccountRefreshInterval)
    {
        _markPrice = markPrice;
        _unknown = unknown;
        _credentials = credentials;
        _userId = userId;
        _loadContracts = contracts;
        var socket = new VenueWebSocket(GateParsers.Venue, new VenueWebSocketSettings
        {
            Name = "user",
            ResolveUri = _ => ValueTask.FromResult(new Uri(options.WsBaseUrl)),
            OnConnected = SubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = new HeartbeatRule { IsPong = GatePinger.IsPong },
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _pinger = new GatePinger(socket, options.PingInterval, time);
        UseSocket(socket);
        RunLoop(PositionLoopAsync);
    }

    protected override void OnStarting() => _pinger.Start();

    protected override ValueTask DisposeMoreAsync() => _pinger.DisposeAsync();

    /// <summary>The signed subscribe request of one private channel.</summary>
    public static string SubscribeRequest(string channel, string userId, string apiKey, string apiSecret, long timeSeconds)
    {
        var sign = GateSigner.Sign(apiSecret, GateSigner.ChannelPayload(channel, "subscribe", timeSeconds));
        return JsonSerializer.Serialize(new GateChannelRequest(timeSeconds, channel, "subscribe", [userId, "!all"], new GateChannelAuth("api_key", apiKey, sign)), GateJsonContext.Default.GateChannelRequest);
    }

    private async Task SubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "gate needs API_KEY for private streams");
        var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "gate needs API_SECRET for private streams");
        string user;
        try
        {
            user = await _userId(cancellationToken).ConfigureAwait(false);
            AddContracts(await _loadContracts(cancellationToken).ConfigureAwait(false));
        }
        catch (ExchangeException ex)
        {
            GateLog.PrivateSetupFailed(Logger, ex.Message);
            throw;
        }

        foreach (var channel in PrivateChannels)
        {
            await connection.SendTextAsync(SubscribeRequest(channel, user, key, secret, Time.GetUtcNow().ToUnixTimeSeconds()), cancellationToken).ConfigureAwait(false);
            GateLog.ChannelRequestSent(Logger, "subscribe", channel);
        }
    }

    /// <summary>Publishes position pushes in arrival order, each with its contract's mark price and the unrealised PnL at it.</summary>
    private async Task PositionLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var (position, contract) in _positionPushes.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            decimal? mark;
            try
            {
                mark = await _markPrice(contract, cancellationToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex)
            {
                GateLog.PositionWithoutMark(Logger, contract, ex.Message);
                continue;
            }

            if (mark is not { } m)
            {
                GateLog.PositionWithoutMark(Logger, contract, "no mark price known");
                continue;
            }

            // A USDT-margined linear contract: PnL is the base-unit size times the price move.
            Positions.Publish(position with { MarkPrice = m, UnrealizedPnl = position.Size * (m - position.EntryPrice) });
        }
    }

    /// <summary>The last state the stream saw of an order placed with <paramref name="clientOrderId"/>, or null.</summary>
    public Order? RecentOrder(string clientOrderId) => _recent.Get(clientOrderId);

    /// <summary>Handles one private-stream message (public for tests and benchmarks that feed recorded pushes).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        var channel = root.GetStringOrNull("channel") ?? "";
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            GateLog.ChannelRequestRefused(Logger, channel, error.GetRawText());
            return;
        }

        if (root.GetStringOrNull("event") != "update" || !root.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var item in result.EnumerateArray())
        {
            switch (channel)
            {
                case UserTradesChannel:
                    OnTrade(GateParsers.ParseUserTrade(item));
                    break;
                case OrdersChannel:
                    if (ContractOf(item) is { } orderContract && _unknown.ParseListedOrder(item, orderContract.Multiplier, OrdersChannel) is { } order)
                    {
                        _recent.Set(order);
                        OnOrder(order, orderContract.Multiplier);
                    }

                    break;
                case PositionsChannel:
                    if (ContractOf(item) is { } positionContract)
                    {
                        _positionPushes.Writer.TryWrite((GateParsers.ParsePosition(item, positionContract.Multiplier, Time.GetUtcNow()), positionContract.Name));
                    }

                    break;
                case BalancesChannel:
                    // The push carries the new balance only; the account stream gets a full snapshot.
                    GateParsers.ParseBalanceUpdate(item);
                    RequestAccountRefresh();
                    break;
            }
        }
    }

    /// <summary>Makes contracts known to the handler (the contract list is loaded again on every connection, before subscribing).</summary>
    public void AddContracts(IEnumerable<GateContract> contracts)
    {
        lock (_gate)
        {
            foreach (var contract in contracts)
            {
                _contracts[contract.Name] = contract;
            }
        }
    }

    private GateContract? ContractOf(JsonElement item)
    {
        var name = item.GetRequiredString("contract");
        lock (_gate)
        {
            if (_contracts.TryGetValue(name, out var known))
            {
                return known;
            }
        }

        _unknown.UnlistedContract("private stream", name);
        return null;
    }

    private void OnTrade(GateUserTrade trade)
    {
        if (!_seenTrades.TryAdd(trade.TradeId))
        {
            return;
        }

        Order? copyOf = null;
        decimal multiplier = 0;
        lock (_gate)
        {
            if (_orders.TryGetValue(trade.OrderId, out var track) && track.Uncovered >= ContractSize.ToBase(Math.Abs(trade.Size), track.Multiplier))
            {
                // The order update that covers this trade went out without it: send the trade on a copy of that update.
                track.Uncovered -= ContractSize.ToBase(Math.Abs(trade.Size), track.Multiplier);
                copyOf = track.Order;
                multiplier = track.Multiplier;
                if (track.Uncovered == 0 && track.Order.Status.IsTerminal())
                {
                    _orders.Remove(trade.OrderId);
                }
            }
            else
            {
                if (!_pendingTrades.TryGetValue(trade.OrderId, out var list))
                {
                    _pendingTrades[trade.OrderId] = list = [];
                }

                if (list.All(t => t.TradeId != trade.TradeId))
                {
                    list.Add(trade);
                }

                return;
            }
        }

        Publish(copyOf, GateParsers.MergeFills([trade], copyOf, multiplier), lateTrade: true);
    }

    private void OnOrder(Order order, decimal multiplier)
    {
        List<GateUserTrade>? trades = null;
        lock (_gate)
        {
            if (!_orders.TryGetValue(order.ExchangeOrderId, out var track))
            {
                _orders[order.ExchangeOrderId] = track = new OrderTrack(order, multiplier);
            }

            var delta = order.FilledQuantity - track.Order.FilledQuantity;
            if (track.Order != order && delta > 0)
            {
                var covered = 0m;
                if (_pendingTrades.Remove(order.ExchangeOrderId, out var pending))
                {
                    trades = pending;
                    covered = ContractSize.ToBase(pending.Sum(t => Math.Abs(t.Size)), multiplier);
                }

                track.Uncovered += Math.Max(0, delta - covered);
            }
            else if (track.Order == order && order.FilledQuantity > 0 && _pendingTrades.Remove(order.ExchangeOrderId, out var first))
            {
                // The first update seen for this order already carries fills.
                trades = first;
                track.Uncovered += Math.Max(0, order.FilledQuantity - ContractSize.ToBase(first.Sum(t => Math.Abs(t.Size)), multiplier));
            }

            if (order.FilledQuantity >= track.Order.FilledQuantity)
            {
                track.Order = order;
            }

            if (order.Status.IsTerminal() && track.Uncovered == 0)
            {
                _orders.Remove(order.ExchangeOrderId);
                _pendingTrades.Remove(order.ExchangeOrderId);
            }
        }

        Publish(order, trades is { Count: > 0 } ? GateParsers.MergeFills(trades, order, multiplier) : null, lateTrade: false);
    }

    /// <summary>
    /// Publishes an update once: an order state is keyed by order, status and filled quantity (a repeated push is
    /// dropped); a late trade sent on a copy of its state is keyed by its trade id as well.
    /// </summary>
    private void Publish(Order order, Fill? fill, bool lateTrade)
    {
        if (_seen.TryAdd((order.ExchangeOrderId, lateTrade ? fill?.TradeId : null, order.Status, order.FilledQuantity)))
        {
            Orders.Publish(OrderUpdate.From(order, GateParsers.Venue, fill));
        }
    }

    /// <summary>The last pushed state of the most recent orders by client id, bounded.</summary>
    private sealed class RecentOrders(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, Order> _byClientId = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public void Set(Order order)
        {
            if (order.ClientOrderId is not { } id)
            {
                return;
            }

            lock (_gate)
            {
                if (_byClientId.TryGetValue(id, out var known)
                    && (known.FilledQuantity > order.FilledQuantity || (known.Status.IsTerminal() && !order.Status.IsTerminal())))
                {
                    return;
                }

                if (!_byClientId.ContainsKey(id))
                {
                    _order.Enqueue(id);
                    if (_order.Count > capacity)
                    {
                        _byClientId.Remove(_order.Dequeue());
                    }
                }

                _byClientId[id] = order;
            }
        }

        public Order? Get(string clientOrderId)
        {
            lock (_gate)
            {
                return _byClientId.GetValueOrDefault(clientOrderId);
            }
        }
    }

    /// <summary>The last state of an open order, and how much of its filled quantity went out without its trades.</summary>
    private sealed class OrderTrack(Order order, decimal multiplier)
    {
        public Order Order { get; set; } = order;

        public decimal Multiplier { get; } = multiplier;

        public decimal Uncovered { get; set; }
    }
}
