using OpenSqt.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Redis for the metadata cache: a container, a local redis-server or the embedded Garnet server (Cache__Mode).
IResourceBuilder<IResourceWithConnectionString> cache;
try
{
    cache = builder.AddMetadataCache(ResourceNames.Cache);
}
catch (CacheModeException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

// The latency mode (README, Latency): how long the connector's and the engine's idle thread-pool workers spin.
int? spinLimit;
try
{
    spinLimit = LowLatency.SpinLimit(builder.Configuration[LowLatency.ConfigurationKey]);
}
catch (LowLatencyException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

// The console says which cache mode was chosen, reports a resource that fails, and prints the addresses once healthy.
ConsoleReporter.AddTo(builder);

// The venue and its credentials: parameters, secrets for the credentials, handed to the connector only.
var exchange = builder.AddParameter(ResourceNames.ExchangeParameter, () => builder.Configuration[$"Parameters:{ResourceNames.ExchangeParameter}"] ?? "sim", publishValueAsDefault: true);
var apiKey = builder.AddParameter(ResourceNames.ApiKeyParameter, () => builder.Configuration[$"Parameters:{ResourceNames.ApiKeyParameter}"] ?? "", secret: true);
var apiSecret = builder.AddParameter(ResourceNames.ApiSecretParameter, () => builder.Configuration[$"Parameters:{ResourceNames.ApiSecretParameter}"] ?? "", secret: true);
var passphrase = builder.AddParameter(ResourceNames.PassphraseParameter, () => builder.Configuration[$"Parameters:{ResourceNames.PassphraseParameter}"] ?? "", secret: true);

// The key every OpenSqt service requires on its gRPC endpoint; generated once and kept in user secrets.
var serviceApiKey = builder.AddParameter(ResourceNames.ServiceApiKeyParameter, new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);

var connector = builder.AddProject<Projects.OpenSqt_ExchangeConnector>(ResourceNames.Connector)
    .WithEnvironment("EXCHANGE", exchange)
    .WithEnvironment("API_KEY", apiKey)
    .WithEnvironment("API_SECRET", apiSecret)
    .WithEnvironment("PASSPHRASE", passphrase)
    .WithEnvironment("Auth__ApiKeys__0", serviceApiKey)
    .WithReference(cache)
    .WaitFor(cache)
    .WithoutDefaultHttps()
    .WithHttpHealthCheck("/health", endpointName: ResourceNames.HttpEndpoint);

// The connector's recording of the market for the backtest (README, Record and replay): off unless Recording__Path is set
// where the AppHost runs; its settings are handed to the connector as they are.
foreach (var key in new[] { "Path", "Symbols", "BufferSize", "FlushInterval" })
{
    if (builder.Configuration[$"Recording:{key}"] is { Length: > 0 } value)
    {
        connector.WithEnvironment($"Recording__{key}", value);
    }
}

var marketMaker = builder.AddProject<Projects.OpenSqt_MarketMaker>(ResourceNames.MarketMaker)
    .WithEnvironment("RemoteExchange__ApiKey", serviceApiKey)
    .WithEnvironment("Auth__ApiKeys__0", serviceApiKey)
    .WithReference(connector.GetEndpoint(ResourceNames.GrpcEndpoint))
    .WaitFor(connector)
    .WithoutDefaultHttps()
    .WithHttpHealthCheck("/health", endpointName: ResourceNames.HttpEndpoint);

if (spinLimit is { } spin)
{
    var value = spin.ToString(System.Globalization.CultureInfo.InvariantCulture);
    connector.WithEnvironment(LowLatency.RuntimeVariable, value);
    marketMaker.WithEnvironment(LowLatency.RuntimeVariable, value);
}

// The sim venue starts empty with every AppHost run, so an engine state saved by an earlier run would only disagree
// with it (and open the circuit breaker on the divergence). Against a real venue the saved state is kept.
if (builder.ExecutionContext.IsRunMode && (builder.Configuration[$"Parameters:{ResourceNames.ExchangeParameter}"] ?? "sim") == "sim")
{
    marketMaker.WithEnvironment("MarketMaker__ResetStateOnStart", "true");
}

builder.AddProject<Projects.OpenSqt_LiveServer>(ResourceNames.LiveServer)
    .WithEnvironment("RemoteExchange__ApiKey", serviceApiKey)
    .WithEnvironment("EngineClient__ApiKey", serviceApiKey)
    .WithReference(connector.GetEndpoint(ResourceNames.GrpcEndpoint))
    .WithReference(marketMaker.GetEndpoint(ResourceNames.GrpcEndpoint))
    .WaitFor(connector)
    .WaitFor(marketMaker)
    .WithoutDefaultHttps()
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: ResourceNames.HttpEndpoint);

builder.Build().Run();
return 0;
