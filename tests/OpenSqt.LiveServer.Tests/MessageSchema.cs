using System.Text.Json;
using Json.Schema;

namespace OpenSqt.LiveServer.Tests;

/// <summary>The documented message schema (wwwroot/schema/messages.schema.json), as the page's clients read it.</summary>
public static class MessageSchema
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "wwwroot", "schema", "messages.schema.json")));

    /// <summary>Null when the message matches the schema, else what is wrong with it.</summary>
    public static string? Check(JsonElement message)
    {
        var result = Schema.Value.Evaluate(message, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return null;
        }

        var errors = (result.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key} {e.Value}"));
        return $"{BrowserSocket.Text(message)} does not match the schema: {string.Join("; ", errors.Take(8))}";
    }
}
