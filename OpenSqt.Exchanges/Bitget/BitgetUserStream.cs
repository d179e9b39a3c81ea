using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// The private Bitget v2 WebSocket: on every connection a <c>login</c> (seconds timestamp, base64 HMAC of
/// <c>ts + "GET" + "/user/verify"</c>), awaited before the <c>orders</c>, <c>positions</c> (instId <c>default</c>) and
/// <c>account</c> (coin <c>default</c>) channels are subscribed. An <c>orders</c> push carries the cumulative fill
/// (<c>accBaseVolume</c>) and the fill that caused it (<c>tradeId</c>, <c>baseVolume</c>, <c>fillPrice</c>,
/// <c>fillFee</c>); repeats are dropped. The <c>positions</c> channel pushes full snapshots: every push is the whole set
/// of open positions, and a closed position is simply absent from it, never sent with size 0
/// (https://www.bitget.com/api-doc/contract/websocket/private/Positions-Channel: push <c>"action": "snapshot"</c>;
/// pybotters/pybotters#388 "the actual data is snapshot", closed positions were never removed), so a symbol that leaves
/// the snapshot is published as flat. Account pushes trigger a fresh account snapshot over REST (all-position and
/// accounts), coalesced to at most one per <see cref="VenueOptions.AccountRefreshInterval"/> however many pushes
/// arrive. The login is signed with the venue's clock (<see cref="ServerClock"/>), synced first when it never was.
/// </summary>
internal sealed class BitgetUserStream : VenueUserStream
{
    public const string OrdersChannel = "orders";
    public const string PositionsChannel = "positions";
    public const string AccountChannel = "account";
    private readonly VenueCredentials _credentials;
    private readonly ServerClock _clock;
    private readonly Func<CancellationToken, Task> _syncClock;
    private readonly HashSet<string> _openPositions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly RecentKeys<(string OrderId, string? TradeId, OrderStatus Status, decimal Filled)> _seen = new();
    private int _accountPushes;

    public BitgetUserStream(BitgetOptions options, VenueCredentials credentials, Func<CancellationToken, Task<Account>> fetchAccount, ServerClock clock, Func<CancellationToken, Task> syncClock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(BitgetParsers.Venue, time, logger, fetchAccount, options.AccountRefreshInterval)
    {
        _credentials = credentials;
        _clock = clock;
        _syncClock = syncClock;
        UseSocket(new VenueWebSocket(BitgetParsers.Venue, new VenueWebSocketSettings
        {
            Name = "user",
            ResolveUri = _ => ValueTask.FromResult(new Uri(options.WsPrivateUrl)),
            OnConnected = LoginAndSubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = BitgetMarketStream.Heartbeat(options.PingInterval),
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics));
    }

    /// <summary>Account pushes received; each asks for a refresh, and the refreshes are coalesced.</summary>
    public int AccountPushes => Volatile.Read(ref _accountPushes);

    /// <summary>Values of pushes this connector did not know, counted per field.</summary>
    public BitgetUnknownValues Unknowns { get; init; } = new();

    /// <summary>The login request for <paramref name="timestampSeconds"/>.</summary>
    public static string LoginRequest(string apiKey, string apiSecret, string passphrase, long timestampSeconds) =>
        JsonSerializer.Serialize(new BitgetLoginRequest("login",
            [new BitgetLoginArg(apiKey, passphrase, timestampSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), BitgetSigner.Sign(apiSecret, BitgetSigner.LoginPayload(timestampSeconds)))]),
            BitgetJsonContext.Default.BitgetLoginRequest);

    private async Task LoginAndSubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bitget needs API_KEY for private streams");
        var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bitget needs API_SECRET for private streams");
        var passphrase = _credentials.Passphrase ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bitget needs PASSPHRASE for private streams");
        if (!_clock.IsSynced)
        {
            // The login timestamp must be within Bitget's window of its own clock (30 s, https://www.bitget.com/api-doc/common/websocket-intro
            // "timestamp ... expires after 30 seconds"); a local clock off by more is refused however often we retry.
            await SyncClockQuietlyAsync(cancellationToken).ConfigureAwait(false);
        }

        await connection.SendTextAsync(LoginRequest(key, secret, passphrase, _clock.Now.ToUnixTimeSeconds()), cancellationToken).ConfigureAwait(false);

        // Bitget wants the login answered before private subscriptions; the receive loop has not started yet, so the
        // answer is read here.
        while (true)
        {
            var text = await ReceiveTextAsync(connection.Socket, cancellationToken).ConfigureAwait(false)
                ?? throw new ExchangeException(ExchangeErrorKind.Unavailable, "bitget closed the private stream during login");
            if (text == "pong")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(text);
            var @event = doc.RootElement.GetStringOrNull("event");
            if (@event == "login" && doc.RootElement.GetStringOrNull("code") is "0" or null)
            {
                BitgetLog.LoggedIn(Logger);
                break;
            }

            if (@event is "error" or "login")
            {
                var code = doc.RootElement.GetStringOrNull("code") ?? "?";

                // A refused login may be a drifted clock: sync before the next attempt (a cheap public call).
                BitgetLog.LoginClockRefused(Logger, code);
                await SyncClockQuietlyAsync(cancellationToken).ConfigureAwait(false);
                throw new ExchangeException(ExchangeErrorKind.Unauthenticated, $"bitget refused the private stream login ({code} {doc.RootElement.GetStringOrNull("msg")}); check API_KEY, API_SECRET and PASSPHRASE", venueCode: code);
            }
        }

        BitgetChannelArg[] args =
        [
            new(BitgetParsers.ProductType, OrdersChannel, "default"),
            new(BitgetParsers.ProductType, PositionsChannel, "default"),
            new(BitgetParsers.ProductType, AccountChannel, Coin: "default"),
        ];
        await connection.SendTextAsync(JsonSerializer.Serialize(new BitgetOpRequest("subscribe", args), BitgetJsonContext.Default.BitgetOpRequest), cancellationToken).ConfigureAwait(false);
        BitgetLog.ChannelRequestSent(Logger, "subscribe", "orders,positions,account");
    }

    private static async Task<string?> ReceiveTextAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        using var text = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            text.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(text.ToArray());
            }
        }
    }

    private async Task SyncClockQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _syncClock(cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            BitgetLog.AccountRefreshFailed(Logger, "clock sync before login: " + ex.Message);
        }
    }

    /// <summary>Handles one private-stream message (public for tests and benchmarks that feed recorded pushes).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (root.GetStringOrNull("event") == "error")
        {
            BitgetLog.ChannelRequestRefused(Logger, root.GetRawText());
            return;
        }

        if (!root.TryGetProperty("arg", out var arg) || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        switch (arg.GetStringOrNull("channel"))
        {
            case OrdersChannel:
                foreach (var item in data.EnumerateArray())
                {
                    Order order;
                    Fill? fill;
                    try
                    {
                        order = BitgetParsers.ParseOrder(item, push: true);
                        fill = BitgetParsers.ParsePushFill(item, order);
                    }
                    catch (UnknownVenueValueException ex)
                    {
                        Unknowns.Record(ex.Field, ex.Value);
                        BitgetLog.UnknownValue(Logger, ex.Field, ex.Value, item.GetStringOrNull("orderId") ?? "?");
                        continue;
                    }

                    if (_seen.TryAdd((order.ExchangeOrderId, fill?.TradeId, order.Status, order.FilledQuantity)))
                    {
                        Orders.Publish(OrderUpdate.From(order, BitgetParsers.Venue, fill));
                    }
                }

                break;
            case PositionsChannel:
                HandlePositions(root, data);
                break;
            case AccountChannel:
                Interlocked.Increment(ref _accountPushes);
                RequestAccountRefresh();
                break;
        }
    }

    /// <summary>
    /// A <c>positions</c> push: publishes each position it carries and, for a snapshot, a flat position for every
    /// symbol that was open and is no longer in it (Bitget never sends a closed position with size 0).
    /// </summary>
    private void HandlePositions(JsonElement root, JsonElement data)
    {
        var snapshot = root.GetStringOrNull("action") is null or "snapshot";
        var present = new HashSet<string>(StringComparer.Ordinal);
        var positions = new List<Position>();
        foreach (var item in data.EnumerateArray())
        {
            var position = BitgetParsers.ParsePosition(item);
            present.Add(position.Symbol);
            positions.Add(position);
        }

        List<string> closed = [];
        lock (_gate)
        {
            if (snapshot)
            {
                closed.AddRange(_openPositions.Where(s => !present.Contains(s)));
                _openPositions.Clear();
            }

            foreach (var p in positions)
            {
                if (p.Size != 0)
                {
                    _openPositions.Add(p.Symbol);
                }
                else
                {
                    _openPositions.Remove(p.Symbol);
                }
            }
        }

        foreach (var p in positions)
        {
            Positions.Publish(p);
        }

        var ts = root.TryGetProperty("ts", out var t) && t.ValueKind == JsonValueKind.Number ? DateTimeOffset.FromUnixTimeMilliseconds(t.GetInt64()) : _clock.Now;
        foreach (var symbol in closed)
        {
            BitgetLog.PositionClosedBySnapshot(Logger, symbol);
            Positions.Publish(new Position { Symbol = symbol, Size = 0, UpdateTime = ts });
        }
    }
}
