using YamlDotNet.RepresentationModel;

namespace OpenSqt.AppHost.Tests;

/// <summary>The Aspire manifest says what a secure deployment needs, and the Kubernetes base agrees with it.</summary>
public sealed class DeploymentTests
{
    private static readonly string[] Projects = [ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer];
    private static readonly string[] ExchangeSecrets = [ResourceNames.ApiKeyParameter, ResourceNames.ApiSecretParameter, ResourceNames.PassphraseParameter];

    [Fact]
    public async Task ManifestKeepsSecretsSecretAndTheConnectorInternal()
    {
        var manifest = await Manifest.GetAsync();
        var resources = manifest.Resources();

        Assert.Equal("container.v0", (string?)resources[ResourceNames.Cache]!["type"]);
        Assert.Contains("redis", (string?)resources[ResourceNames.Cache]!["image"]);

        var secrets = manifest.SecretParameters();
        Assert.Superset(new HashSet<string>([.. ExchangeSecrets, ResourceNames.ServiceApiKeyParameter]), secrets);
        Assert.DoesNotContain(ResourceNames.ExchangeParameter, secrets);

        foreach (var project in Projects)
        {
            var env = manifest.Env(project).Text();
            var seesExchangeCredentials = ExchangeSecrets.Any(p => env.Contains("{" + p + ".value}", StringComparison.Ordinal));
            Assert.Equal(project == ResourceNames.Connector, seesExchangeCredentials);
            Assert.Contains("{" + ResourceNames.ServiceApiKeyParameter + ".value}", env);
        }

        var connectorBindings = resources[ResourceNames.Connector]!["bindings"]!.AsObject();
        Assert.Equal("http2", (string?)connectorBindings[ResourceNames.GrpcEndpoint]!["transport"]);
        Assert.All(connectorBindings, b => Assert.NotEqual(true, b.Value!["external"]?.GetValue<bool>()));
        Assert.All(resources[ResourceNames.MarketMaker]!["bindings"]!.AsObject(), b => Assert.NotEqual(true, b.Value!["external"]?.GetValue<bool>()));
        Assert.True(resources[ResourceNames.LiveServer]!["bindings"]![ResourceNames.HttpEndpoint]!["external"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RecordingSettingsWhereTheAppHostRunsReachTheConnectorAndNothingElse()
    {
        var plain = await Manifest.GetAsync();
        Assert.DoesNotContain(plain.Env("connector").Select(e => e.Key), k => k.StartsWith("Recording__", StringComparison.Ordinal));

        var recording = await Manifest.GenerateWithAsync(new Dictionary<string, string>
        {
            ["Recording__Path"] = "/data/recordings",
            ["Recording__Symbols"] = "BTCUSDT,ETHUSDT",
        });
        var env = recording.Env("connector");
        Assert.Equal("/data/recordings", (string?)env["Recording__Path"]);
        Assert.Equal("BTCUSDT,ETHUSDT", (string?)env["Recording__Symbols"]);
        Assert.False(env.ContainsKey("Recording__BufferSize"));
        Assert.DoesNotContain(recording.Env("marketmaker").Select(e => e.Key), k => k.StartsWith("Recording__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KubernetesBaseMatchesTheManifest()
    {
        var manifest = await Manifest.GetAsync();
        var k8s = KubernetesBase.Load();
        Assert.Equal(["cache.yaml", "config.yaml", "connector.yaml", "liveserver.yaml", "marketmaker.yaml"], k8s.KustomizationResources.Order());

        foreach (var name in Projects.Append(ResourceNames.Cache))
        {
            var resource = manifest.Resources()[name]!.AsObject();
            var deployment = k8s.Deployment(name);
            var container = deployment.Container;
            var service = k8s.Service(name);

            var bindings = resource["bindings"]!.AsObject().ToDictionary(b => b.Key, b => b.Value!["targetPort"]!.GetValue<int>());
            Assert.Equal(bindings.OrderBy(b => b.Key), container.Ports.OrderBy(p => p.Key));
            Assert.Equal(bindings.Keys.Order(), service.Ports.Keys.Order());
            Assert.All(service.Ports, p => Assert.Equal(p.Key, p.Value));
            Assert.Equal("ClusterIP", service.Type);

            var manifestEnv = resource["env"]!.AsObject();
            Assert.Equal(manifestEnv.Select(e => e.Key).Order(), container.Env.Keys.Order());
            foreach (var (key, value) in manifestEnv)
            {
                var secret = manifest.ReferencesSecret((string?)value ?? "");
                var k8sValue = container.Env[key];
                if (secret)
                {
                    Assert.True(k8sValue.SecretName is not null || SecretDerived(k8sValue.Value, container), $"{name}: {key} must come from a Kubernetes secret");
                }
                else
                {
                    Assert.True(k8sValue.SecretName is null, $"{name}: {key} is not a secret in the manifest");
                }
            }

            if (name != ResourceNames.Cache)
            {
                Assert.Equal("/health", container.ReadinessPath);
                Assert.Equal("/alive", container.LivenessPath);
            }

            Assert.True(container.HasRequestsAndLimits, $"{name} needs resource requests and limits");
        }

        Assert.Equal(1, k8s.Deployment(ResourceNames.Connector).Replicas);
        var exchangeSecretUsers = k8s.Deployments.Where(d => d.Container.Env.Values.Any(v => v.SecretName == "opensqt-exchange-credentials")).Select(d => d.Name);
        Assert.Equal([ResourceNames.Connector], exchangeSecretUsers);
    }

    /// <summary>A value such as <c>cache:6379,password=$(CACHE_PASSWORD)</c> built from an env var that is itself a secret.</summary>
    private static bool SecretDerived(string? value, KubernetesBase.ContainerSpec container) =>
        value is not null && container.Env.Any(e => e.Value.SecretName is not null && value.Contains($"$({e.Key})", StringComparison.Ordinal));
}

/// <summary>The kustomize base under deploy/k8s, read with a YAML parser.</summary>
internal sealed class KubernetesBase
{
    private readonly List<YamlMappingNode> _documents;

    private KubernetesBase(List<YamlMappingNode> documents, List<string> resources)
    {
        _documents = documents;
        KustomizationResources = resources;
    }

    public List<string> KustomizationResources { get; }

    public IEnumerable<DeploymentSpec> Deployments => _documents.Where(d => Scalar(d, "kind") == "Deployment").Select(d => new DeploymentSpec(d));

    public static KubernetesBase Load()
    {
        var folder = FindRepositoryFolder("deploy/k8s");
        var kustomization = Parse(Path.Combine(folder, "kustomization.yaml")).Single();
        var resources = ((YamlSequenceNode)kustomization["resources"]).Select(n => ((YamlScalarNode)n).Value!).ToList();
        var documents = resources.SelectMany(r => Parse(Path.Combine(folder, r))).ToList();
        return new KubernetesBase(documents, resources);
    }

    public DeploymentSpec Deployment(string name) => Deployments.Single(d => d.Name == name);

    public ServiceSpec Service(string name) =>
        new(_documents.Single(d => Scalar(d, "kind") == "Service" && Scalar((YamlMappingNode)d["metadata"], "name") == name));

    private static IEnumerable<YamlMappingNode> Parse(string path)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(path));
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }

    private static string FindRepositoryFolder(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(relative);
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    internal sealed class DeploymentSpec(YamlMappingNode node)
    {
        public string Name => Scalar((YamlMappingNode)node["metadata"], "name")!;

        public int Replicas => int.Parse(Scalar((YamlMappingNode)node["spec"], "replicas")!, System.Globalization.CultureInfo.InvariantCulture);

        public ContainerSpec Container =>
            new((YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)node["spec"])["template"])["spec"])["containers"]).Single());
    }

    internal sealed class ContainerSpec(YamlMappingNode node)
    {
        public Dictionary<string, int> Ports =>
            ((YamlSequenceNode)node["ports"]).Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name")!, p => int.Parse(Scalar(p, "containerPort")!, System.Globalization.CultureInfo.InvariantCulture));

        public Dictionary<string, EnvValue> Env =>
            ((YamlSequenceNode)node["env"]).Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name")!, e =>
            {
                string? secret = null;
                if (e.Children.TryGetValue(new YamlScalarNode("valueFrom"), out var from) && ((YamlMappingNode)from).Children.TryGetValue(new YamlScalarNode("secretKeyRef"), out var secretRef))
                {
                    secret = Scalar((YamlMappingNode)secretRef, "name");
                }

                return new EnvValue(Scalar(e, "value"), secret);
            });

        public string? ReadinessPath => ProbePath("readinessProbe");

        public string? LivenessPath => ProbePath("livenessProbe");

        public bool HasRequestsAndLimits =>
            node.Children.TryGetValue(new YamlScalarNode("resources"), out var r)
            && ((YamlMappingNode)r).Children.ContainsKey(new YamlScalarNode("requests"))
            && ((YamlMappingNode)r).Children.ContainsKey(new YamlScalarNode("limits"));

        private string? ProbePath(string probe) =>
            node.Children.TryGetValue(new YamlScalarNode(probe), out var p) && ((YamlMappingNode)p).Children.TryGetValue(new YamlScalarNode("httpGet"), out var get)
                ? Scalar((YamlMappingNode)get, "path")
                : null;
    }

    internal sealed class ServiceSpec(YamlMappingNode node)
    {
        public string? Type => Scalar((YamlMappingNode)node["spec"], "type");

        /// <summary>Service port name to target port name.</summary>
        public Dictionary<string, string> Ports =>
            ((YamlSequenceNode)((YamlMappingNode)node["spec"])["ports"]).Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name")!, p => Scalar(p, "targetPort")!);
    }

    internal sealed record EnvValue(string? Value, string? SecretName);
}
