using System.Globalization;
using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.State;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Services;

/// <summary>The v1 PositionService: positions, open orders, fills, order history and PnL of the engine's symbols.</summary>
public sealed class PositionGrpcService(EngineHost host, EngineReadStore reads) : W.PositionService.PositionServiceBase
{
    public override Task<W.PositionServiceGetPositionsResponse> GetPositions(W.PositionServiceGetPositionsRequest request, ServerCallContext context)
    {
        var response = new W.PositionServiceGetPositionsResponse();
        response.Positions.AddRange(Select(request.Symbols).Select(e => ToPositionData(e, e.Snapshot, e.ValuationPrice)));
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetPositionResponse> GetPosition(W.PositionServiceGetPositionRequest request, ServerCallContext context)
    {
        var engine = Engine(request.Symbol);
        var snapshot = engine.Snapshot;
        var response = new W.PositionServiceGetPositionResponse { Position = ToPositionData(engine, snapshot, engine.ValuationPrice) };
        response.OpenOrders.AddRange(snapshot.OpenOrders.Select(o => o.ToWire()));
        return Task.FromResult(response);
    }

    public override async Task SubscribePositions(W.PositionServiceSubscribePositionsRequest request, IServerStreamWriter<W.PositionUpdate> responseStream, ServerCallContext context)
    {
        var symbols = request.Symbols.ToHashSet(StringComparer.Ordinal);
        using var updates = host.Positions.Subscribe();

        // Start with the current positions, so a subscriber never has to ask separately.
        foreach (var engine in Select(request.Symbols))
        {
            await responseStream.WriteAsync(new W.PositionUpdate { Position = ToPositionData(engine, engine.Snapshot, engine.ValuationPrice), UpdateType = "snapshot" }, context.CancellationToken).ConfigureAwait(false);
        }

        try
        {
            await foreach (var update in updates.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                if (symbols.Count > 0 && !symbols.Contains(update.Symbol))
                {
                    continue;
                }

                var engine = host.Engines[update.Symbol];
                var wire = new W.PositionUpdate { Position = ToPositionData(engine, update.Snapshot, update.Price), UpdateType = update.UpdateType };
                if (update.Trigger is { } trigger)
                {
                    wire.TriggerOrder = trigger.ToWire();
                }

                await responseStream.WriteAsync(wire, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The subscriber left.
        }
    }

    public override Task<W.PositionServiceGetOpenOrdersResponse> GetOpenOrders(W.PositionServiceGetOpenOrdersRequest request, ServerCallContext context)
    {
        var response = new W.PositionServiceGetOpenOrdersResponse();
        response.Orders.AddRange(Select(request.Symbols).SelectMany(e => e.Snapshot.OpenOrders).Select(o => o.ToWire()));
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetOrderHistoryResponse> GetOrderHistory(W.PositionServiceGetOrderHistoryRequest request, ServerCallContext context)
    {
        var (from, to) = Range(request.StartTime, request.EndTime);
        var limit = request.Limit is > 0 and <= 10_000 ? request.Limit : 500;
        var response = new W.PositionServiceGetOrderHistoryResponse();
        response.Orders.AddRange(reads.Use(s => s.Orders(request.Symbols, from, to, limit)).Select(o => ToWire(o)));
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetOrderResponse> GetOrder(W.PositionServiceGetOrderRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.OrderId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "order_id is required: the client order id or the venue's order id"));
        }

        var stored = reads.Use(s => s.FindOrder(request.OrderId))
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"order '{request.OrderId}' is unknown to the engine"));
        var fills = reads.Use(s => s.Fills([], 0, long.MaxValue, 10_000, stored.Order.ClientOrderId));
        var response = new W.PositionServiceGetOrderResponse { Order = ToWire(stored) };
        response.Fills.AddRange(fills.Select(ToWire));
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetFillsResponse> GetFills(W.PositionServiceGetFillsRequest request, ServerCallContext context)
    {
        var (from, to) = Range(request.StartTime, request.EndTime);
        var limit = request.Limit is > 0 and <= 10_000 ? request.Limit : 500;
        var response = new W.PositionServiceGetFillsResponse();
        response.Fills.AddRange(reads.Use(s => s.Fills(request.Symbols, from, to, limit)).Select(ToWire));
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetPositionHistoryResponse> GetPositionHistory(W.PositionServiceGetPositionHistoryRequest request, ServerCallContext context)
    {
        var engine = Engine(request.Symbol);
        var (from, to) = Range(request.StartTime, request.EndTime);
        var response = new W.PositionServiceGetPositionHistoryResponse();
        response.Snapshots.AddRange(reads.Use(s => s.PositionHistory(engine.Symbol, from, to)).Select(r => new W.PositionSnapshotData
        {
            Symbol = r.Symbol,
            Quantity = r.Quantity.ToWire(),
            EntryPrice = r.EntryPrice.ToWire(),
            MarketPrice = r.MarketPrice.ToWire(),
            UnrealizedPnl = r.UnrealizedPnl.ToWire(),
            Timestamp = r.Time.ToUnixTimeMilliseconds(),
        }));
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetRealizedPnLResponse> GetRealizedPnL(W.PositionServiceGetRealizedPnLRequest request, ServerCallContext context)
    {
        var whole = request.StartTime == 0 && request.EndTime == 0;
        var (from, to) = Range(request.StartTime, request.EndTime);
        var response = new W.PositionServiceGetRealizedPnLResponse();
        var total = 0m;
        foreach (var engine in Select(request.Symbols))
        {
            var trips = reads.Use(s => s.RoundTrips(engine.Symbol, from, to));

            // The whole history includes partial closes of round trips still open; a time range counts closed round trips.
            var books = engine.Snapshot.Pnl;
            var pnl = whole ? books.Realised : trips.Pnl;
            total += pnl;
            response.BySymbol.Add(new W.SymbolPnL
            {
                Fees = whole ? books.Fees.ToWire() : null,
                Funding = whole ? books.Funding.ToWire() : null,
                Symbol = engine.Symbol,
                RealizedPnl = pnl.ToWire(),
                NumTrades = trips.Count,
                WinningTrades = trips.Wins,
                LosingTrades = trips.Losses,
                WinRate = trips.Count == 0 ? "0" : Math.Round(100m * trips.Wins / trips.Count, 2).ToString(CultureInfo.InvariantCulture),
            });
        }

        response.TotalPnl = total.ToWire();
        return Task.FromResult(response);
    }

    public override Task<W.PositionServiceGetUnrealizedPnLResponse> GetUnrealizedPnL(W.PositionServiceGetUnrealizedPnLRequest request, ServerCallContext context)
    {
        var response = new W.PositionServiceGetUnrealizedPnLResponse();
        var total = 0m;
        foreach (var engine in Select(request.Symbols))
        {
            var snapshot = engine.Snapshot;
            var price = engine.ValuationPrice;
            var pnl = snapshot.UnrealisedPnl(price);
            total += pnl;
            response.Positions.Add(new W.PositionPnL
            {
                Symbol = engine.Symbol,
                Quantity = snapshot.Position.ToWire(),
                EntryPrice = snapshot.EntryPrice.ToWire(),
                CurrentPrice = price.ToWire(),
                UnrealizedPnl = pnl.ToWire(),
                PnlPercentage = snapshot.OpenNotional == 0 ? "0" : Math.Round(100m * pnl / Math.Abs(snapshot.OpenNotional), 4).ToString(CultureInfo.InvariantCulture),
            });
        }

        response.TotalPnl = total.ToWire();
        return Task.FromResult(response);
    }

    private IEnumerable<SymbolEngine> Select(IReadOnlyCollection<string> symbols)
    {
        foreach (var symbol in symbols)
        {
            if (!host.Engines.ContainsKey(symbol))
            {
                throw new RpcException(new Status(StatusCode.NotFound, $"symbol '{symbol}' is not traded by this engine; it trades {string.Join(", ", host.Engines.Keys)}"));
            }
        }

        return host.Engines.Values.Where(e => symbols.Count == 0 || symbols.Contains(e.Symbol)).OrderBy(e => e.Symbol, StringComparer.Ordinal);
    }

    private SymbolEngine Engine(string symbol)
    {
        if (string.IsNullOrWhiteSpace(symbol))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "symbol is required"));
        }

        return host.Engines.TryGetValue(symbol, out var engine)
            ? engine
            : throw new RpcException(new Status(StatusCode.NotFound, $"symbol '{symbol}' is not traded by this engine; it trades {string.Join(", ", host.Engines.Keys)}"));
    }

    private static (long From, long To) Range(long start, long end) => (start > 0 ? start : 0, end > 0 ? end : long.MaxValue);

    private W.PositionData ToPositionData(SymbolEngine engine, EngineSnapshot snapshot, decimal price) => new()
    {
        Symbol = engine.Symbol,
        Exchange = host.Venue,
        Quantity = snapshot.Position.ToWire(),
        EntryPrice = snapshot.EntryPrice.ToWire(),
        CurrentPrice = price.ToWire(),
        UnrealizedPnl = snapshot.UnrealisedPnl(price).ToWire(),
        RealizedPnl = snapshot.Pnl.Realised.ToWire(),
        OpenedAt = snapshot.OpenedAt?.ToUnixTimeMilliseconds() ?? 0,
        UpdatedAt = snapshot.UpdatedAt.ToUnixTimeMilliseconds(),
    };

    private static W.Order ToWire(StoredOrder stored) => stored.Order.ToOrder(stored.Symbol).ToWire();

    private static W.Fill ToWire(Fill fill) => new()
    {
        FillId = fill.TradeId,
        OrderId = fill.ClientOrderId ?? fill.ExchangeOrderId,
        Symbol = fill.Symbol,
        Side = fill.Side == OrderSide.Buy ? "BUY" : "SELL",
        Quantity = fill.Quantity.ToWire(),
        Price = fill.Price.ToWire(),
        Fee = fill.Fee.ToWire(),
        FeeCurrency = fill.FeeAsset,
        FilledAt = fill.Timestamp.ToUnixTimeMilliseconds(),
    };
}
