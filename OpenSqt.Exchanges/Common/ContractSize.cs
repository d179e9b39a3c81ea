using System.Globalization;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// Conversions for venues that trade in contracts (OKX <c>ctVal</c>, Gate <c>quanto_multiplier</c>): OpenSqt always
/// speaks base units; the venue folder converts at the edge.
/// </summary>
internal static class ContractSize
{
    /// <summary>
    /// Base quantity to a whole number of contracts (or a multiple of <paramref name="contractStep"/> for venues that
    /// allow fractional contracts). A quantity that is not an exact multiple is refused, never silently truncated.
    /// </summary>
    public static decimal ToContracts(decimal baseQuantity, decimal contractSize, decimal contractStep = 1m)
    {
        if (contractSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(contractSize), contractSize, "contract size must be positive");
        }

        var contracts = baseQuantity / contractSize;
        if (contracts % contractStep != 0)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                $"quantity {VenueJson.Format(baseQuantity)} is not a multiple of the contract size {VenueJson.Format(contractSize * contractStep)}");
        }

        return contracts;
    }

    /// <summary>Contracts to base quantity.</summary>
    public static decimal ToBase(decimal contracts, decimal contractSize) => contracts * contractSize;

    /// <summary>Venue rules in contracts turned into OpenSqt rules in base units.</summary>
    public static SymbolRules RulesInBase(SymbolRules contractRules, decimal contractSize) => contractRules with
    {
        StepSize = contractRules.StepSize * contractSize,
        MinQuantity = contractRules.MinQuantity * contractSize,
        MaxQuantity = contractRules.MaxQuantity * contractSize,
        ContractSize = contractSize,
    };

    /// <summary>Whole contracts written for a venue that takes an integer size.</summary>
    public static string FormatWhole(decimal contracts) =>
        contracts % 1 == 0
            ? decimal.ToInt64(contracts).ToString(CultureInfo.InvariantCulture)
            : throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"{VenueJson.Format(contracts)} contracts is not a whole number");
}
