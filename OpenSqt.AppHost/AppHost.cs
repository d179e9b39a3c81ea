using OpenSqt.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var cache = builder.AddMetadataCache(ResourceNames.Cache);

// The venue and its credentials: parameters, secrets for the credentials, handed to the connector only.
var exchange = builder.AddParameter(ResourceNames.ExchangeParameter, () => builder.Configuration[$"Parameters:{ResourceNames.ExchangeParameter}"] ?? "sim", publishValueAsDefault: true);
var apiKey = builder.AddParameter(ResourceNames.ApiKeyParameter, () => builder.Configuration[$"Parameters:{ResourceNames.ApiKeyParameter}"] ?? "", secret: true);
var apiSecret = builder.AddParameter(ResourceNames.ApiSecretParameter, () => builder.Configuration[$"Parameters:{ResourceNames.ApiSecretParameter}"] ?? "", secret: true);
var passphrase = builder.AddParameter(ResourceNames.PassphraseParameter, () => builder.Configuration[$"Parameters:{ResourceNames.PassphraseParameter}"] ?? "", secret: true);

var connector = builder.AddProject<Projects.OpenSqt_ExchangeConnector>(ResourceNames.Connector)
    .WithEnvironment("EXCHANGE", exchange)
    .WithEnvironment("API_KEY", apiKey)
    .WithEnvironment("API_SECRET", apiSecret)
    .WithEnvironment("PASSPHRASE", passphrase)
    .WithReference(cache)
    .WaitFor(cache)
    .WithHttpHealthCheck("/health", endpointName: ResourceNames.HttpEndpoint);

var marketMaker = builder.AddProject<Projects.OpenSqt_MarketMaker>(ResourceNames.MarketMaker)
    .WithReference(connector)
    .WaitFor(connector)
    .WithHttpHealthCheck("/health", endpointName: ResourceNames.HttpEndpoint);

builder.AddProject<Projects.OpenSqt_LiveServer>(ResourceNames.LiveServer)
    .WithReference(connector)
    .WithReference(marketMaker)
    .WaitFor(connector)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: ResourceNames.HttpEndpoint);

builder.Build().Run();
