using System.Text;
using System.Text.Json;

namespace OpenSqt.Exchanges.Tests;

/// <summary>The recorded venue payloads and signing vectors copied from the shared reference (verbatim files).</summary>
internal static class Vectors
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Vectors");

    public static JsonElement File(string folder, string name)
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(Directory, folder, name + ".json")));
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// The exact text the source published when it is JSON; sources that published Python literals (True/False) give
    /// the vector's parsed payload instead.
    /// </summary>
    public static string RawText(string folder, string name)
    {
        var file = File(folder, name);
        var raw = file.GetProperty("raw_text").GetString()!;
        try
        {
            using var _ = JsonDocument.Parse(raw);
            return raw;
        }
        catch (JsonException)
        {
            return file.GetProperty("payload").GetRawText();
        }
    }

    public static byte[] RawBytes(string folder, string name) => Encoding.UTF8.GetBytes(RawText(folder, name));

    public static JsonElement Payload(string folder, string name)
    {
        using var doc = JsonDocument.Parse(RawText(folder, name));
        return doc.RootElement.Clone();
    }

    public static IEnumerable<string> Names(string folder, string prefix) =>
        System.IO.Directory.GetFiles(Path.Combine(Directory, folder), prefix + "*.json").Select(Path.GetFileNameWithoutExtension).Order()!;
}
