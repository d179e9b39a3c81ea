using System.ComponentModel.DataAnnotations;

namespace OpenSqt.ServiceDefaults.Security;

/// <summary>
/// Who may call a service's gRPC endpoint. Section <c>Auth</c>. Health (<c>grpc.health.v1</c>) is always open.
/// </summary>
public sealed class ServiceAuthenticationOptions : IValidatableObject
{
    /// <summary>Shortest API key accepted: a guessable key is no credential.</summary>
    public const int MinimumKeyLength = 16;

    public const string SectionName = "Auth";

    /// <summary>Accepted values of the <c>x-api-key</c> metadata; several for rotation (<c>Auth__ApiKeys__0</c>, <c>__1</c> ...).</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Requests per second each caller (API key or client certificate) may make.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerSecond { get; set; } = 500;

    /// <summary>Requests a caller may make in a burst above the rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 1_000;

    /// <summary>PEM or DER file of the CA whose client certificates are accepted (mutual TLS). Empty: no client certificates.</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>Serve gRPC on a non-loopback address with neither API keys nor TLS. Off unless an operator says so.</summary>
    public bool AllowInsecure { get; set; }

    public bool RequiresCredentials => ApiKeys.Count > 0 || !string.IsNullOrWhiteSpace(ClientCaPath);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < ApiKeys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(ApiKeys[i]) || ApiKeys[i].Length < MinimumKeyLength)
            {
                // The key itself is never echoed.
                yield return new ValidationResult(
                    $"Auth:ApiKeys:{i} must be at least {MinimumKeyLength} characters (it is {ApiKeys[i]?.Length ?? 0})",
                    [nameof(ApiKeys)]);
            }
        }
    }
}
