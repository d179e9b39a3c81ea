using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OpenSqt.AppHost.Tests;

/// <summary>Generates the Aspire manifest the way a user does (the AppHost with --publisher manifest).</summary>
internal static class Manifest
{
    private static readonly Lazy<Task<JsonObject>> Generated = new(GenerateAsync);

    public static Task<JsonObject> GetAsync() => Generated.Value;

    /// <summary>A manifest generated with <paramref name="environment"/> set where the AppHost runs.</summary>
    public static Task<JsonObject> GenerateWithAsync(IReadOnlyDictionary<string, string> environment) => GenerateAsync(environment);

    private static Task<JsonObject> GenerateAsync() => GenerateAsync(new Dictionary<string, string>());

    private static async Task<JsonObject> GenerateAsync(IReadOnlyDictionary<string, string> environment)
    {
        var output = Path.Combine(Path.GetTempPath(), $"opensqt-manifest-{Guid.NewGuid():N}.json");
        var appHost = Path.Combine(AppContext.BaseDirectory, "OpenSqt.AppHost.dll");
        var info = new ProcessStartInfo("dotnet", ["exec", appHost, "--publisher", "manifest", "--output-path", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException($"manifest generation failed ({process.ExitCode}): {await stdout}\n{await stderr}");
        }

        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsObject();
        File.Delete(output);
        return manifest;
    }

    public static JsonObject Resources(this JsonObject manifest) => manifest["resources"]!.AsObject();

    public static JsonObject Env(this JsonObject manifest, string resource) =>
        manifest.Resources()[resource]?["env"]?.AsObject() ?? [];

    /// <summary>Names of the parameters declared secret.</summary>
    public static HashSet<string> SecretParameters(this JsonObject manifest) =>
        manifest.Resources()
            .Where(r => (string?)r.Value!["type"] == "parameter.v0" && r.Value["inputs"]?["value"]?["secret"]?.GetValue<bool>() == true)
            .Select(r => r.Key)
            .ToHashSet();

    /// <summary>Whether a manifest value expression pulls in a secret parameter.</summary>
    public static bool ReferencesSecret(this JsonObject manifest, string expression) =>
        manifest.SecretParameters().Any(p => expression.Contains("{" + p + ".value}", StringComparison.Ordinal));

    public static string Text(this JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "";
}
