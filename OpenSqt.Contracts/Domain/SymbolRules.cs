using System.Globalization;

namespace OpenSqt.Contracts;

/// <summary>
/// The trading rules of one instrument, and the pre-trade checks built on them. Every price and quantity
/// that leaves the engine is rounded here and checked here.
/// </summary>
public sealed record SymbolRules
{
    public required string Symbol { get; init; }
    public required string BaseAsset { get; init; }
    public required string QuoteAsset { get; init; }
    public required decimal TickSize { get; init; }
    public required decimal StepSize { get; init; }
    public required decimal MinQuantity { get; init; }
    public decimal MinNotional { get; init; }

    /// <summary>Largest quantity of one order; null when the venue sets none.</summary>
    public decimal? MaxQuantity { get; init; }

    /// <summary>Base quantity of one contract on venues that trade in contracts; 1 elsewhere.</summary>
    public decimal ContractSize { get; init; } = 1m;

    /// <summary>Decimal places of the tick size.</summary>
    public int PricePrecision => DecimalPlaces(TickSize);

    /// <summary>Decimal places of the step size.</summary>
    public int QuantityPrecision => DecimalPlaces(StepSize);

    public decimal RoundPriceDown(decimal price) => Math.Floor(price / TickSize) * TickSize;

    public decimal RoundPriceUp(decimal price) => Math.Ceiling(price / TickSize) * TickSize;

    public decimal RoundPrice(decimal price) =>
        Math.Round(price / TickSize, MidpointRounding.AwayFromZero) * TickSize;

    public decimal RoundQuantityDown(decimal quantity) => Math.Floor(quantity / StepSize) * StepSize;

    public bool IsOnTick(decimal price) => price % TickSize == 0;

    public bool IsOnStep(decimal quantity) => quantity % StepSize == 0;

    /// <summary>
    /// Checks an order against the rules. Returns null when it may be sent, otherwise a message naming the
    /// offending field and the rule. <paramref name="referencePrice"/> prices market orders for the notional check.
    /// </summary>
    public string? Check(decimal quantity, decimal? price, decimal? referencePrice = null)
    {
        if (quantity <= 0)
        {
            return $"quantity {Format(quantity)} must be positive";
        }

        if (!IsOnStep(quantity))
        {
            return $"quantity {Format(quantity)} is not a multiple of the step size {Format(StepSize)} for {Symbol}";
        }

        if (quantity < MinQuantity)
        {
            return $"quantity {Format(quantity)} is below the minimum quantity {Format(MinQuantity)} for {Symbol}";
        }

        if (MaxQuantity is { } max && quantity > max)
        {
            return $"quantity {Format(quantity)} is above the maximum quantity {Format(max)} for {Symbol}";
        }

        if (price is { } p)
        {
            if (p <= 0)
            {
                return $"price {Format(p)} must be positive";
            }

            if (!IsOnTick(p))
            {
                return $"price {Format(p)} is not a multiple of the tick size {Format(TickSize)} for {Symbol}";
            }
        }

        var notionalPrice = price ?? referencePrice;
        if (MinNotional > 0 && notionalPrice is { } np && np * quantity < MinNotional)
        {
            return $"notional {Format(np * quantity)} is below the minimum notional {Format(MinNotional)} for {Symbol}";
        }

        return null;
    }

    private static string Format(decimal value) => value.Normalize().ToString(CultureInfo.InvariantCulture);

    private static int DecimalPlaces(decimal value) => (decimal.GetBits(value.Normalize())[3] >> 16) & 0xFF;
}

/// <summary>Decimal helpers shared by every component.</summary>
public static class DecimalExtensions
{
    /// <summary>The same value with trailing zeros removed (1.2300 becomes 1.23).</summary>
    public static decimal Normalize(this decimal value) => value / 1.000000000000000000000000000000000m;
}
