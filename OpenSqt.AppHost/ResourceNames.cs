namespace OpenSqt.AppHost;

/// <summary>Resource names that deployments, tests and service discovery rely on. Keep them stable.</summary>
public static class ResourceNames
{
    public const string Cache = "cache";
    public const string Connector = "connector";
    public const string MarketMaker = "marketmaker";
    public const string LiveServer = "liveserver";

    public const string ExchangeParameter = "exchange";
    public const string ApiKeyParameter = "exchange-api-key";
    public const string ApiSecretParameter = "exchange-api-secret";
    public const string PassphraseParameter = "exchange-passphrase";
    public const string ServiceApiKeyParameter = "service-api-key";

    /// <summary>The endpoint names every service declares in its Kestrel configuration.</summary>
    public const string GrpcEndpoint = "grpc";
    public const string HttpEndpoint = "http";
}
