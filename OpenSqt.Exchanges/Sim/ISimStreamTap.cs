using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>Receives every item the sim venue publishes on its streams (<see cref="SimExchange.SetTap"/>).</summary>
public interface ISimStreamTap
{
    void OnOrder(OrderUpdate update);

    void OnPrice(PriceChange change);

    void OnKline(Candle candle);

    void OnAccount(Account account);

    void OnPosition(Position position);

    void OnFunding(FundingRate rate);
}
