using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;

namespace OpenSqt.MarketMaker.Options;

/// <summary>
/// Validates the whole engine configuration, nested sections and list items included (data annotations alone stop at
/// the top level), plus the rules that span fields. Every message starts with the configuration key.
/// </summary>
public sealed class MarketMakerOptionsValidator : IValidateOptions<MarketMakerOptions>
{
    private const string Root = MarketMakerOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, MarketMakerOptions options)
    {
        var failures = new List<string>();
        Annotate(options, Root, failures);
        Annotate(options.RateLimit, $"{Root}:RateLimit", failures);
        Annotate(options.Retry, $"{Root}:Retry", failures);
        Annotate(options.RiskControl, $"{Root}:RiskControl", failures);
        Annotate(options.CircuitBreaker, $"{Root}:CircuitBreaker", failures);
        Annotate(options.Limits, $"{Root}:Limits", failures);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Symbols.Count; i++)
        {
            var grid = options.Symbols[i];
            var key = string.Create(CultureInfo.InvariantCulture, $"{Root}:Symbols:{i}");
            Annotate(grid, key, failures);
            if (!seen.Add(grid.Symbol))
            {
                failures.Add($"{key}:Symbol: '{grid.Symbol}' is configured twice; each symbol may appear once");
            }

            if (grid.CleanupBatchSize >= grid.OrderCleanupThreshold)
            {
                failures.Add($"{key}:CleanupBatchSize: {grid.CleanupBatchSize} must be below OrderCleanupThreshold ({grid.OrderCleanupThreshold})");
            }

            if (grid.BuyWindowSize + grid.EffectiveSellWindowSize > grid.OrderCleanupThreshold)
            {
                failures.Add($"{key}:BuyWindowSize: buy window {grid.BuyWindowSize} plus sell window {grid.EffectiveSellWindowSize} (SellWindowSize defaults to BuyWindowSize) must not exceed OrderCleanupThreshold ({grid.OrderCleanupThreshold})");
            }
        }

        var risk = options.RiskControl;
        if (!KlineInterval.IsValid(risk.Interval))
        {
            failures.Add($"{Root}:RiskControl:Interval: '{risk.Interval}' is not a kline interval; use one of {string.Join(", ", KlineInterval.All)}");
        }

        if (risk.Enabled && risk.RecoveryThreshold > risk.EffectiveMonitorSymbols.Count)
        {
            failures.Add($"{Root}:RiskControl:RecoveryThreshold: {risk.RecoveryThreshold} must be between 1 and the number of monitored symbols ({risk.EffectiveMonitorSymbols.Count})");
        }

        if (options.Retry.MaxDelay < options.Retry.InitialDelay)
        {
            failures.Add($"{Root}:Retry:MaxDelay: {options.Retry.MaxDelay} must not be below InitialDelay ({options.Retry.InitialDelay})");
        }

        // Both are set by the in-process replay only (internal setters): a state in memory anywhere else would be a live
        // engine whose orders a crash forgets.
        if (options.InMemoryState is not null && !options.InlineWriter)
        {
            failures.Add($"{Root}:InMemoryState: a state store in memory is for the in-process replay only; a live engine keeps its state in the file at StatePath");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Annotate(object? value, string key, List<string> failures)
    {
        if (value is null)
        {
            failures.Add($"{key}: the section is required");
            return;
        }

        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            foreach (var result in results)
            {
                var member = result.MemberNames.FirstOrDefault();
                failures.Add(member is null ? $"{key}: {result.ErrorMessage}" : $"{key}:{member}: {result.ErrorMessage}");
            }
        }
    }
}
