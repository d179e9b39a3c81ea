using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>Receives every item the sim venue publishes on its streams (<see cref="SimExchange.SetTap"/>).</summary>
public interface ISimStreamTap
{
    void OnOrder(OrderUpdate update);

    void OnPrice(PriceChange change);

    void OnKline(Candle candle);

    /// <summary>
    /// Whether anyone reading through the tap listens to candles of <paramref name="interval"/>: the sim builds an open
    /// candle per trade only for the intervals someone reads.
    /// </summary>
    bool WantsKline(string interval);

    void OnAccount(Account account);

    void OnPosition(Position position);

    void OnFunding(FundingRate rate);
}
