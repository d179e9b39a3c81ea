using OpenSqt.Contracts;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>The test plays the trader (the LiveServer never does): it places orders on the venue and prints trades.</summary>
public static class Market
{
    public static Task<Order> RestingBuyAsync(ConnectorHost host, string symbol, decimal price, decimal quantity) =>
        host.Exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = symbol,
            Side = OrderSide.Buy,
            Type = OrderType.Limit,
            Quantity = quantity,
            Price = price,
            ClientOrderId = "t" + Guid.NewGuid().ToString("N")[..20],
        });

    public static Task<Order> RestingSellAsync(ConnectorHost host, string symbol, decimal price, decimal quantity) =>
        host.Exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = symbol,
            Side = OrderSide.Sell,
            Type = OrderType.Limit,
            Quantity = quantity,
            Price = price,
            ClientOrderId = "t" + Guid.NewGuid().ToString("N")[..20],
        });
}
