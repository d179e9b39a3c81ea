using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>How a request may be retried after a failure whose outcome is not known.</summary>
internal enum RetryPolicy
{
    /// <summary>Reads and idempotent housekeeping: retried on transient failures.</summary>
    Safe = 0,

    /// <summary>Order entry and cancels: never re-sent blindly; an unknown outcome surfaces as <see cref="ExchangeErrorKind.UnknownOutcome"/>.</summary>
    Never = 1,
}

/// <summary>One REST call to a venue, before signing. Parameters keep their order: signatures depend on it.</summary>
internal sealed record VenueRequest(HttpMethod Method, string Path)
{
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>A JSON body, for venues that take one (Bybit, OKX, Bitget, Gate); signed over as the venue requires.</summary>
    public string? JsonBody { get; init; }

    /// <summary>Whether the call needs credentials and a timestamp.</summary>
    public bool Signed { get; init; }

    public RetryPolicy Retry { get; init; } = RetryPolicy.Safe;

    /// <summary>What the call costs against the venue's rate limits.</summary>
    public IReadOnlyList<RateLimitCost> Costs { get; init; } = [];

    /// <summary>A short name for logs and metrics ("place", "cancel", ...).</summary>
    public string Operation { get; init; } = "";

    /// <summary>A GET of <paramref name="path"/> (safe to retry), signed when <paramref name="signed"/>.</summary>
    public static VenueRequest Get(string path, string operation, IReadOnlyList<RateLimitCost> costs, IReadOnlyList<KeyValuePair<string, string>>? parameters = null, bool signed = false) =>
        new(HttpMethod.Get, path) { Parameters = parameters ?? [], Signed = signed, Costs = costs, Operation = operation };

    /// <summary>A signed order-entry call, sent once (<see cref="RetryPolicy.Never"/>: a retry could place or cancel twice).</summary>
    public static VenueRequest Trade(HttpMethod method, string path, string operation, IReadOnlyList<RateLimitCost> costs, string? jsonBody = null, IReadOnlyList<KeyValuePair<string, string>>? parameters = null) =>
        new(method, path) { Parameters = parameters ?? [], JsonBody = jsonBody, Signed = true, Retry = RetryPolicy.Never, Costs = costs, Operation = operation };
}

/// <summary>A venue's answer: status, body and headers.</summary>
internal sealed record VenueResponse(HttpStatusCode Status, byte[] Body, HttpResponseHeaders Headers, TimeSpan? RetryAfter);

/// <summary>
/// The shared base of every venue's REST client: server-time offset tracking (synced before the first signed call and
/// again on a clock error, which is retried once), a per-venue signing hook, typed error mapping, rate-limit accounting
/// from the venue's headers (wait before the limit; a 429 pauses the budgets of the refused call, a 418 ban everything),
/// retries only where they are
/// safe, and unknown outcomes reported as such. A venue adds only <see cref="BuildRequest"/>,
/// <see cref="ParseFailure"/> and <see cref="FetchServerTimeAsync"/>.
/// </summary>
internal abstract class VenueRestClient
{
    private const int SafeRetries = 2;
    private readonly SemaphoreSlim _syncGate = new(1, 1);

    protected VenueRestClient(string venue, HttpClient http, Uri baseUrl, ServerClock clock, RateLimitTracker rateLimits, TimeProvider time, ILogger logger, VenueMetrics metrics, TimeSpan requestTimeout)
    {
        Venue = venue;
        Http = http;
        BaseUrl = baseUrl;
        Clock = clock;
        RateLimits = rateLimits;
        Time = time;
        Logger = logger;
        Metrics = metrics;
        RequestTimeout = requestTimeout;
    }

    public string Venue { get; }

    public Uri BaseUrl { get; }

    public ServerClock Clock { get; }

    public RateLimitTracker RateLimits { get; }

    /// <summary>Clock resyncs done since start.</summary>
    public int ClockResyncs { get; private set; }

    protected HttpClient Http { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected VenueMetrics Metrics { get; }

    protected TimeSpan RequestTimeout { get; }

    /// <summary>Builds the HTTP message: URL, body, credentials and signature. <paramref name="timestampMs"/> is venue time.</summary>
    protected abstract HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs);

    /// <summary>Returns the venue failure an answer carries, or null when it is a success.</summary>
    protected abstract VenueFailure? ParseFailure(VenueResponse response);

    /// <summary>Reads the venue's clock (Unix milliseconds) without signing.</summary>
    protected abstract Task<long> FetchServerTimeAsync(CancellationToken cancellationToken);

    /// <summary>Reads what a successful answer of <see cref="GetJsonAsync"/> tells beyond its body (venue-specific limit headers).</summary>
    protected virtual void OnAnswered(VenueRequest request, VenueResponse response)
    {
    }

    /// <summary>Measures the venue's clock offset now.</summary>
    public async Task SyncClockAsync(CancellationToken cancellationToken)
    {
        await _syncGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sentAt = Time.GetUtcNow();
            var serverTime = await FetchServerTimeAsync(cancellationToken).ConfigureAwait(false);
            var receivedAt = Time.GetUtcNow();
            Clock.Update(serverTime, sentAt, receivedAt);
            VenueLog.ClockSynced(Logger, Venue, (long)Clock.Offset.TotalMilliseconds);
        }
        finally
        {
            _syncGate.Release();
        }
    }

    /// <summary>
    /// The query string of parameters in the order given, each key and value percent-encoded (RFC 3986 unreserved
    /// characters kept): the form every venue signs over and sends.
    /// </summary>
    public static string BuildQuery(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var builder = new StringBuilder(128);
        foreach (var (key, value) in parameters)
        {
            if (builder.Length > 0)
            {
                builder.Append('&');
            }

            builder.Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    /// <summary>Sends a call and parses its JSON answer.</summary>
    public async Task<JsonDocument> GetJsonAsync(VenueRequest request, CancellationToken cancellationToken)
    {
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        OnAnswered(request, response);
        try
        {
            return JsonDocument.Parse(response.Body);
        }
        catch (JsonException ex)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, $"{Venue} {request.Operation}: the answer is not JSON", ex);
        }
    }

    /// <summary>Sends one call and returns the successful answer, or throws a classified <see cref="ExchangeException"/>.</summary>
    public async Task<VenueResponse> SendAsync(VenueRequest request, CancellationToken cancellationToken)
    {
        if (request.Signed && !Clock.IsSynced)
        {
            await SyncClockAsync(cancellationToken).ConfigureAwait(false);
        }

        var clockRetried = false;
        var attempt = 0;
        while (true)
        {
            attempt++;
            await RateLimits.AcquireAsync(request.Costs, cancellationToken).ConfigureAwait(false);
            var started = Time.GetTimestamp();
            VenueResponse response;
            try
            {
                response = await SendOnceAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.Unavailable && request.Retry == RetryPolicy.Safe && attempt <= SafeRetries)
            {
                VenueLog.RetryingRequest(Logger, Venue, request.Operation, attempt, ex.Message);
                await Task.Delay(ReconnectBackoff.Delay(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)), Time, cancellationToken).ConfigureAwait(false);
                continue;
            }
            finally
            {
                Metrics.RecordRequest(Venue, request.Operation, Time.GetElapsedTime(started));
            }

            // A refusal that names when to retry is governed by that time alone: its "nothing left" usage headers would
            // otherwise hold the budget spent until the end of our own window, which can be later than the venue's reset.
            if (!(response.Status == HttpStatusCode.TooManyRequests && response.RetryAfter is not null))
            {
                RateLimits.Observe(response.Headers, request.Costs);
            }

            if (response.Status is HttpStatusCode.TooManyRequests or (HttpStatusCode)418)
            {
                // A 429 pauses only the budgets this call was charged against (a refused placement must not hold back
                // cancels charged elsewhere). A 418 is Binance's IP ban for going on after 429s and stops everything
                // until its Retry-After: "HTTP 418 return code is used when an IP has been auto-banned for continuing to
                // send requests after receiving 429 codes" and "A Retry-After header is sent with a 418 or 429 responses"
                // (https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info).
                var pause = response.Status == HttpStatusCode.TooManyRequests
                    ? RateLimits.Block(request.Costs, response.RetryAfter)
                    : RateLimits.Block(response.RetryAfter);
                VenueLog.RateLimited(Logger, Venue, (int)response.Status, pause.TotalSeconds);
                var failure = ParseFailure(response);
                Metrics.RecordError(Venue, request.Operation, ExchangeErrorKind.RateLimited);
                throw new ExchangeException(ExchangeErrorKind.RateLimited,
                    $"{Venue} rate limit hit (HTTP {(int)response.Status}); pausing {pause.TotalSeconds:F0} s. {failure?.Exception.Message}",
                    retryAfter: pause, venueCode: failure?.Exception.VenueCode);
            }

            RateLimits.Succeeded(request.Costs);
            var mapped = ParseFailure(response);
            if (mapped is null)
            {
                return response;
            }

            if (mapped.IsClockError && request.Signed && !clockRetried)
            {
                // The venue refused the timestamp, so nothing was executed: resync and try once more.
                clockRetried = true;
                ClockResyncs++;
                VenueLog.ClockRejected(Logger, Venue, request.Operation, mapped.Exception.Message);
                await SyncClockAsync(cancellationToken).ConfigureAwait(false);
                attempt--;
                continue;
            }

            if ((int)response.Status >= 500 && mapped.Exception.Kind is ExchangeErrorKind.Unavailable or ExchangeErrorKind.UnknownOutcome)
            {
                if (request.Retry == RetryPolicy.Safe && attempt <= SafeRetries)
                {
                    VenueLog.RetryingRequest(Logger, Venue, request.Operation, attempt, mapped.Exception.Message);
                    await Task.Delay(ReconnectBackoff.Delay(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)), Time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (request.Retry == RetryPolicy.Safe)
                {
                    Metrics.RecordError(Venue, request.Operation, ExchangeErrorKind.Unavailable);
                    throw new ExchangeException(ExchangeErrorKind.Unavailable,
                        $"{Venue} {request.Operation}: the venue failed {attempt} times (HTTP {(int)response.Status}). {mapped.Exception.Message}",
                        mapped.Exception, venueCode: mapped.Exception.VenueCode);
                }

                if (request.Retry == RetryPolicy.Never)
                {
                    Metrics.RecordError(Venue, request.Operation, ExchangeErrorKind.UnknownOutcome);
                    throw new ExchangeException(ExchangeErrorKind.UnknownOutcome,
                        $"{Venue} {request.Operation}: execution status unknown (HTTP {(int)response.Status}); look the order up by client id. {mapped.Exception.Message}",
                        mapped.Exception, venueCode: mapped.Exception.VenueCode);
                }
            }

            Metrics.RecordError(Venue, request.Operation, mapped.Exception.Kind);
            throw mapped.Exception;
        }
    }

    private async Task<VenueResponse> SendOnceAsync(VenueRequest request, CancellationToken cancellationToken)
    {
        using var message = BuildRequest(request, Clock.NowMilliseconds);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var answer = await Http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var body = await answer.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            return new VenueResponse(answer.StatusCode, body, answer.Headers, RetryAfterOf(answer.StatusCode, answer.Headers));
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        {
            // The connection never opened: nothing reached the venue.
            throw new ExchangeException(ExchangeErrorKind.Unavailable, $"{Venue} is unreachable: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (request.Retry == RetryPolicy.Never)
            {
                throw new ExchangeException(ExchangeErrorKind.UnknownOutcome,
                    $"{Venue} {request.Operation}: no answer ({ex.GetType().Name}); the outcome is unknown, look the order up by client id", ex);
            }

            throw new ExchangeException(ExchangeErrorKind.Unavailable, $"{Venue} {request.Operation}: no answer ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// How long the venue asks to wait before the next call: the <c>Retry-After</c> header by default; a venue that
    /// says it another way (Gate's reset timestamp) overrides this. Null when the answer names no wait.
    /// </summary>
    protected virtual TimeSpan? RetryAfterOf(HttpStatusCode status, HttpResponseHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.RetryAfter is { } retry)
        {
            if (retry.Delta is { } delta)
            {
                return delta;
            }

            if (retry.Date is { } date)
            {
                var wait = date - Time.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }
}
