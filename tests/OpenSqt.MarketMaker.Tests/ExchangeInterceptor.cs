using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using OpenSqt.Contracts;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// The real connector client with chosen calls changed: a venue that answers badly (times out after taking an order,
/// refuses, sends malformed updates). Everything else passes through to the real client.
/// </summary>
public class ExchangeInterceptor : DispatchProxy
{
    public IExchange Inner { get; private set; } = null!;

    /// <summary>Replaces PlaceOrderAsync; gets the real client to forward to.</summary>
    public Func<IExchange, OrderRequest, CancellationToken, Task<Order>>? Place { get; private set; }

    /// <summary>Replaces CancelOrderAsync; gets the real client to forward to.</summary>
    public Func<IExchange, string, OrderRef, CancellationToken, Task>? Cancel { get; private set; }

    /// <summary>Replaces GetOrderAsync; gets the real client to forward to.</summary>
    public Func<IExchange, string, OrderRef, CancellationToken, Task<Order>>? Lookup { get; private set; }

    /// <summary>Rewrites each update of the order stream into zero or more updates.</summary>
    public Func<OrderUpdate, IEnumerable<OrderUpdate>>? Updates { get; private set; }

    /// <summary>Replaces GetOpenOrdersAsync; gets the real client to forward to.</summary>
    public Func<IExchange, string?, CancellationToken, Task<IReadOnlyList<Order>>>? OpenOrders { get; private set; }

    /// <summary>Replaces GetPositionsAsync; gets the real client to forward to.</summary>
    public Func<IExchange, string?, CancellationToken, Task<IReadOnlyList<Position>>>? Positions { get; private set; }

    /// <summary>Awaited before each update of the order stream is passed on: a stream that lags behind the venue.</summary>
    public Func<OrderUpdate, CancellationToken, Task>? Delay { get; private set; }

    public static IExchange Create(IExchange inner, Func<IExchange, OrderRequest, CancellationToken, Task<Order>>? place = null, Func<OrderUpdate, IEnumerable<OrderUpdate>>? updates = null,
        Func<IExchange, string, OrderRef, CancellationToken, Task>? cancel = null, Func<IExchange, string, OrderRef, CancellationToken, Task<Order>>? lookup = null,
        Func<IExchange, string?, CancellationToken, Task<IReadOnlyList<Order>>>? openOrders = null, Func<IExchange, string?, CancellationToken, Task<IReadOnlyList<Position>>>? positions = null,
        Func<OrderUpdate, CancellationToken, Task>? delay = null)
    {
        var proxy = Create<IExchange, ExchangeInterceptor>();
        var interceptor = (ExchangeInterceptor)(object)proxy;
        interceptor.Inner = inner;
        interceptor.Place = place;
        interceptor.Updates = updates;
        interceptor.Cancel = cancel;
        interceptor.Lookup = lookup;
        interceptor.OpenOrders = openOrders;
        interceptor.Positions = positions;
        interceptor.Delay = delay;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IExchange.PlaceOrderAsync) && Place is { } place)
        {
            return place(Inner, (OrderRequest)args![0]!, (CancellationToken)args[1]!);
        }

        if (targetMethod.Name == nameof(IExchange.CancelOrderAsync) && Cancel is { } cancel)
        {
            return cancel(Inner, (string)args![0]!, (OrderRef)args[1]!, (CancellationToken)args[2]!);
        }

        if (targetMethod.Name == nameof(IExchange.GetOrderAsync) && Lookup is { } lookup)
        {
            return lookup(Inner, (string)args![0]!, (OrderRef)args[1]!, (CancellationToken)args[2]!);
        }

        if (targetMethod.Name == nameof(IExchange.GetOpenOrdersAsync) && OpenOrders is { } openOrders)
        {
            return openOrders(Inner, (string?)args![0], (CancellationToken)args[1]!);
        }

        if (targetMethod.Name == nameof(IExchange.GetPositionsAsync) && Positions is { } positions)
        {
            return positions(Inner, (string?)args![0], (CancellationToken)args[1]!);
        }

        if (targetMethod.Name == nameof(IExchange.SubscribeOrdersAsync) && (Updates is not null || Delay is not null))
        {
            return Rewrite(Inner.SubscribeOrdersAsync((CancellationToken)args![0]!), Updates ?? (u => [u]), Delay, (CancellationToken)args[0]!);
        }

        try
        {
            return targetMethod.Invoke(Inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private static async IAsyncEnumerable<OrderUpdate> Rewrite(IAsyncEnumerable<OrderUpdate> source, Func<OrderUpdate, IEnumerable<OrderUpdate>> rewrite,
        Func<OrderUpdate, CancellationToken, Task>? delay, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in source.WithCancellation(cancellationToken))
        {
            if (delay is not null)
            {
                await delay(update, cancellationToken);
            }

            foreach (var rewritten in rewrite(update))
            {
                yield return rewritten;
            }
        }
    }
}
