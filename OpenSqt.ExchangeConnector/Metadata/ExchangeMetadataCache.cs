using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;
using StackExchange.Redis;

namespace OpenSqt.ExchangeConnector.Metadata;

/// <summary>Section <c>MetadataCache</c>.</summary>
public sealed class MetadataCacheOptions
{
    public const string SectionName = "MetadataCache";

    /// <summary>How long this process keeps the instrument rules in memory. Zero asks Redis every time.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MemoryTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the rules live in Redis, shared by restarts and replicas.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RedisTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a Redis call may take before the venue is asked instead.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Exchange metadata (instrument rules) in two levels: this process's memory, then Redis, then the venue. Redis being
/// down never stops the connector: it serves from the venue and its health check says so.
/// </summary>
public sealed class ExchangeMetadataCache(
    IExchange exchange,
    IOptions<MetadataCacheOptions> options,
    TimeProvider time,
    ConnectorMetrics metrics,
    ILogger<ExchangeMetadataCache> logger,
    IServiceProvider services,
    IServiceProviderIsService registrations)
{
    private readonly MetadataCacheOptions _options = options.Value;
    private readonly SemaphoreSlim _loadGate = new(1, 1);
    private Snapshot? _snapshot;
    private string? _redisProblem = "not checked yet";
    private readonly bool _redisConfigured = registrations.IsService(typeof(IConnectionMultiplexer));

    /// <summary>The Redis key of the rules of this venue.</summary>
    public string RedisKey => $"opensqt:{exchange.Name}:exchange-info";

    /// <summary>Null when Redis works; otherwise why not.</summary>
    public string? RedisProblem => _redisConfigured ? _redisProblem : "no Redis connection configured (ConnectionStrings__cache)";

    public async Task<IReadOnlyDictionary<string, SymbolRules>> GetAllAsync(CancellationToken cancellationToken)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && snapshot.ExpiresAt > time.GetUtcNow())
        {
            metrics.MetadataLookup("memory");
            return snapshot.Rules;
        }

        await _loadGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            snapshot = Volatile.Read(ref _snapshot);
            if (snapshot is not null && snapshot.ExpiresAt > time.GetUtcNow())
            {
                metrics.MetadataLookup("memory");
                return snapshot.Rules;
            }

            var rules = await ReadRedisAsync(cancellationToken).ConfigureAwait(false);
            if (rules is not null)
            {
                metrics.MetadataLookup("redis");
            }
            else
            {
                var fetched = await exchange.FetchExchangeInfoAsync(null, cancellationToken).ConfigureAwait(false);
                rules = fetched.ToDictionary(r => r.Symbol, StringComparer.Ordinal);
                metrics.MetadataLookup("venue");
                ConnectorLog.MetadataLoaded(logger, "venue", rules.Count);
                await WriteRedisAsync(fetched, cancellationToken).ConfigureAwait(false);
            }

            Volatile.Write(ref _snapshot, new Snapshot(rules, time.GetUtcNow() + _options.MemoryTtl));
            return rules;
        }
        finally
        {
            _loadGate.Release();
        }
    }

    /// <summary>The rules of one instrument; an unknown symbol is <see cref="ExchangeErrorKind.NotFound"/>.</summary>
    public async Task<SymbolRules> GetAsync(string symbol, CancellationToken cancellationToken)
    {
        var all = await GetAllAsync(cancellationToken).ConfigureAwait(false);
        return all.TryGetValue(symbol, out var rules)
            ? rules
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not listed on {exchange.Name}");
    }

    private IDatabase? Database()
    {
        var multiplexer = services.GetService<IConnectionMultiplexer>();
        return multiplexer?.GetDatabase();
    }

    private async Task<Dictionary<string, SymbolRules>?> ReadRedisAsync(CancellationToken cancellationToken)
    {
        if (!_redisConfigured)
        {
            return null;
        }

        try
        {
            var db = Database();
            if (db is null)
            {
                return null;
            }

            var value = await db.StringGetAsync(RedisKey).WaitAsync(_options.RedisTimeout, cancellationToken).ConfigureAwait(false);
            _redisProblem = null;
            if (value.IsNullOrEmpty)
            {
                return null;
            }

            var rules = JsonSerializer.Deserialize((string)value!, MetadataJsonContext.Default.SymbolRulesArray);
            return rules?.ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or JsonException or ObjectDisposedException or InvalidOperationException)
        {
            RedisFailed(ex);
            return null;
        }
    }

    private async Task WriteRedisAsync(IReadOnlyList<SymbolRules> rules, CancellationToken cancellationToken)
    {
        if (!_redisConfigured)
        {
            return;
        }

        try
        {
            var db = Database();
            if (db is null)
            {
                return;
            }

            var json = JsonSerializer.Serialize(rules.ToArray(), MetadataJsonContext.Default.SymbolRulesArray);
            await db.StringSetAsync(RedisKey, json, _options.RedisTtl).WaitAsync(_options.RedisTimeout, cancellationToken).ConfigureAwait(false);
            _redisProblem = null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            RedisFailed(ex);
        }
    }

    private void RedisFailed(Exception ex)
    {
        _redisProblem = ex.Message;
        ConnectorLog.CacheUnavailable(logger, ex.Message);
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, SymbolRules> Rules, DateTimeOffset ExpiresAt);
}

/// <summary>Degraded (not unhealthy) while Redis cannot be used: the connector still serves.</summary>
public sealed class MetadataCacheHealthCheck(ExchangeMetadataCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var rules = await cache.GetAllAsync(cancellationToken).ConfigureAwait(false);
            return cache.RedisProblem is { } problem
                ? HealthCheckResult.Degraded($"{rules.Count} instruments served from the venue; Redis cache unavailable: {problem}")
                : HealthCheckResult.Healthy($"{rules.Count} instruments cached in Redis under {cache.RedisKey}");
        }
        catch (ExchangeException ex)
        {
            return HealthCheckResult.Unhealthy($"exchange metadata unavailable: {ex.Message}");
        }
    }
}

[JsonSerializable(typeof(SymbolRules[]))]
internal sealed partial class MetadataJsonContext : JsonSerializerContext;
