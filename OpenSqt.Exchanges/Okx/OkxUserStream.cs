using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// The OKX private WebSocket: on every connection the instrument contract values are loaded and <c>login</c> is sent
/// (Unix seconds + GET/users/self/verify, base64 HMAC); once OKX answers the login, <c>orders</c>, <c>account</c> and
/// <c>positions</c> (instType SWAP) are subscribed. Order pushes carry the state and the last fill; duplicates are
/// dropped by (order, trade, state, cumulative fill); an order with an enum value this connector does not know is
/// skipped and counted. Sizes are converted from contracts with ctVal. The <c>account</c> and <c>positions</c>
/// channels send a snapshot on subscribe (and regularly) and then only what changed
/// (https://www.okx.com/docs-v5/en/#trading-account-websocket-account-channel: "only the incremental data of that
/// currency will be pushed"): balances are merged per currency, so a push without USDT keeps the USDT balance, and a
/// position missing from a complete snapshot is reported closed.
/// </summary>
internal sealed class OkxUserStream : VenueUserStream
{
    private readonly VenueCredentials _credentials;
    private readonly ServerClock _clock;
    private readonly TimeSpan _initialBackoff;
    private readonly Func<CancellationToken, Task<IReadOnlyDictionary<string, decimal>>> _contractSizes;
    private readonly RecentKeys<(string OrderId, string? TradeId, OrderStatus Status, decimal Filled)> _seen = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Position> _positions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OkxBalance> _balances = new(StringComparer.Ordinal);
    private readonly HashSet<string> _snapshotPositions = new(StringComparer.Ordinal);
    private readonly VenueMetrics _metrics;
    private int _unknownValues;
    private IReadOnlyDictionary<string, decimal> _sizes = new Dictionary<string, decimal>();

    public OkxUserStream(OkxOptions options, VenueCredentials credentials, ServerClock clock, Func<CancellationToken, Task<IReadOnlyDictionary<string, decimal>>> contractSizes, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(OkxParsers.Venue, time, logger, fetchAccount: null)
    {
        _credentials = credentials;
        _clock = clock;
        _initialBackoff = options.ReconnectInitialDelay;
        _contractSizes = contractSizes;
        _metrics = metrics;
        UseSocket(new VenueWebSocket(OkxParsers.Venue, new VenueWebSocketSettings
        {
            Name = "private",
            ResolveUri = _ => ValueTask.FromResult(options.WsPrivateUri),
            OnConnected = LoginAsync,
            OnMessage = HandleMessage,
            Heartbeat = OkxMarketStream.Heartbeat(options),
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics));
    }

    /// <summary>Order pushes skipped because they carried an enum value this connector does not know.</summary>
    public int UnknownValuesSkipped => Volatile.Read(ref _unknownValues);

    /// <summary>The login request of a connection.</summary>
    public static string LoginMessage(string apiKey, string passphrase, string apiSecret, string unixSeconds)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("op", "login");
            w.WriteStartArray("args");
            w.WriteStartObject();
            w.WriteString("apiKey", apiKey);
            w.WriteString("passphrase", passphrase);
            w.WriteString("timestamp", unixSeconds);
            w.WriteString("sign", OkxSigner.Sign(apiSecret, OkxSigner.LoginPayload(unixSeconds)));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public const string SubscribeMessage = "{\"op\":\"subscribe\",\"args\":[{\"channel\":\"orders\",\"instType\":\"SWAP\"},{\"channel\":\"positions\",\"instType\":\"SWAP\"},{\"channel\":\"account\"}]}";

    /// <summary>Loads the contract values of the listed instruments (done before every login).</summary>
    public async Task LoadContractSizesAsync(CancellationToken cancellationToken)
    {
        var sizes = await _contractSizes(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _sizes, sizes);
    }

    private async Task LoginAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        await LoadContractSizesAsync(cancellationToken).ConfigureAwait(false);
        var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "okx needs API_KEY");
        var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "okx needs API_SECRET");
        var passphrase = _credentials.Passphrase ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "okx needs PASSPHRASE");
        var seconds = (_clock.NowMilliseconds / 1000).ToString(CultureInfo.InvariantCulture);
        await connection.SendTextAsync(LoginMessage(key, passphrase, secret, seconds), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Handles one private message (public for tests that feed recorded events).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (root.GetStringOrNull("event") is { } @event)
        {
            switch (@event)
            {
                case "login" when root.GetStringOrNull("code") == "0":
                    LoginSucceeded();
                    OkxLog.LoggedIn(Logger);
                    _ = SubscribeAfterLoginAsync();
                    break;
                case "notice" when OkxMarketStream.IsServiceUpgradeNotice(root):
                    OkxLog.ServiceUpgrade(Logger, "private");
                    Socket.ForceReconnect();
                    break;
                case "error" or "login":
                    OkxLog.StreamError(Logger, root.GetStringOrNull("code") ?? "", root.GetStringOrNull("msg") ?? "");
                    if (root.GetStringOrNull("code") is "60009" or "60024" or "60006")
                    {
                        ReconnectAfterLoginFailure(_initialBackoff);
                    }

                    break;
            }

            return;
        }

        if (!root.TryGetProperty("arg", out var arg) || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var snapshot = root.GetStringOrNull("eventType") == "snapshot";
        var firstPage = !root.TryGetProperty("curPage", out var page) || page.ValueKind != JsonValueKind.Number || page.GetInt32() <= 1;
        var lastPage = !root.TryGetProperty("lastPage", out var last) || last.ValueKind != JsonValueKind.False;
        switch (arg.GetStringOrNull("channel"))
        {
            case "orders":
                foreach (var item in data.EnumerateArray())
                {
                    if (SizeOf(item) is { } size)
                    {
                        OrderUpdate update;
                        try
                        {
                            update = OkxParsers.ParseOrderPush(item, size);
                        }
                        catch (OkxUnknownValueException ex)
                        {
                            Interlocked.Increment(ref _unknownValues);
                            _metrics.RecordError(OkxParsers.Venue, "unknownValue", ExchangeErrorKind.Internal);
                            OkxLog.UnknownValueSkipped(Logger, "order push " + item.GetStringOrNull("ordId"), ex.Field, ex.Value);
                            continue;
                        }

                        if (_seen.TryAdd((update.ExchangeOrderId, update.LastFill?.TradeId, update.Status, update.FilledQuantity)))
                        {
                            Orders.Publish(update);
                        }
                    }
                }

                break;
            case "positions":
                HandlePositions(data, snapshot, firstPage, lastPage);
                break;
            case "account":
                foreach (var item in data.EnumerateArray())
                {
                    Account account;
                    lock (_gate)
                    {
                        if (snapshot && firstPage)
                        {
                            // A snapshot lists every currency with a balance: one it leaves out holds none.
                            _balances.Clear();
                            firstPage = false;
                        }

                        foreach (var balance in OkxParsers.ParseBalances(item))
                        {
                            _balances[balance.Ccy] = balance;
                        }

                        account = OkxParsers.ParseAccount(item, _balances.GetValueOrDefault("USDT"), [.. _positions.Values.Where(p => p.Size != 0)]);
                    }

                    Accounts.Publish(account);
                }

                break;
        }
    }

    /// <summary>
    /// Position pushes: each position is applied as it comes; when the last page of a snapshot has arrived, a position
    /// held before but absent from the snapshot is closed and published with size 0.
    /// </summary>
    private void HandlePositions(JsonElement data, bool snapshot, bool firstPage, bool lastPage)
    {
        var changed = new List<Position>();
        lock (_gate)
        {
            if (snapshot && firstPage)
            {
                _snapshotPositions.Clear();
            }

            foreach (var item in data.EnumerateArray())
            {
                if (SizeOf(item) is { } size)
                {
                    var position = OkxParsers.ParsePosition(item, size);
                    _positions[position.Symbol] = position;
                    changed.Add(position);
                    if (snapshot)
                    {
                        _snapshotPositions.Add(position.Symbol);
                    }
                }
            }

            if (snapshot && lastPage)
            {
                foreach (var gone in _positions.Values.Where(p => p.Size != 0 && !_snapshotPositions.Contains(p.Symbol)).ToList())
                {
                    var closed = gone with { Size = 0, UnrealizedPnl = 0, UpdateTime = _clock.Now };
                    _positions[gone.Symbol] = closed;
                    changed.Add(closed);
                }
            }
        }

        foreach (var position in changed)
        {
            Positions.Publish(position);
        }
    }

    private decimal? SizeOf(JsonElement item) =>
        item.GetStringOrNull("instId") is { } instId && Volatile.Read(ref _sizes).TryGetValue(instId, out var size) ? size : null;

    private async Task SubscribeAfterLoginAsync()
    {
        try
        {
            await Socket.SendTextAsync(SubscribeMessage, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ExchangeException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            // The connection dropped right after the login; the next connection logs in and subscribes again.
            OkxLog.StreamError(Logger, "subscribe", ex.Message);
        }
    }
}
