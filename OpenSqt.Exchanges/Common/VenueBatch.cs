using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>What the venue answered for one item of a batch placement: the order it took, or why it refused it.</summary>
internal readonly record struct BatchOutcome(Order? Order, ExchangeException? Error)
{
    public static BatchOutcome Placed(Order order) => new(order, null);

    public static BatchOutcome Refused(ExchangeException error) => new(null, error);
}

/// <summary>
/// The shape every venue's batch place and batch cancel share: requests cut into the venue's chunks, each item
/// checked before anything is sent (a refused item is reported, the rest go), one call per chunk whose answer is
/// matched to the items sent, a failed call reported against every item of its chunk, and the item errors sorted by
/// the index of the request.
/// </summary>
internal static class VenueBatch
{
    /// <summary>
    /// Places <paramref name="requests"/> in chunks of at most <paramref name="chunkSize"/> (within each group of
    /// <paramref name="groupBy"/> when given, for venues whose batch holds one symbol). <paramref name="prepare"/>
    /// checks one request (an <see cref="ExchangeException"/> refuses that item only); <paramref name="send"/> sends the
    /// prepared items of one chunk and answers one outcome per item sent, in order (an item it does not answer is an
    /// internal error). A call failure refuses the chunk unless <paramref name="passThrough"/> lets it end the batch.
    /// </summary>
    public static async Task<BatchPlaceResult> PlaceAsync<TPrepared>(
        string venue,
        IReadOnlyList<OrderRequest> requests,
        int chunkSize,
        Func<OrderRequest, CancellationToken, ValueTask<TPrepared>> prepare,
        Func<IReadOnlyList<(OrderRequest Request, TPrepared Prepared)>, CancellationToken, Task<IReadOnlyList<BatchOutcome>>> send,
        CancellationToken cancellationToken,
        Func<OrderRequest, string>? groupBy = null,
        Func<ExchangeException, bool>? passThrough = null)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var orders = new List<Order>();
        var errors = new List<BatchItemError>();
        var indexed = requests.Select((request, index) => (Request: request, Index: index));
        var groups = groupBy is null ? [indexed] : indexed.GroupBy(x => groupBy(x.Request)).Select(g => g.AsEnumerable());
        foreach (var chunk in groups.SelectMany(g => g.Chunk(chunkSize)))
        {
            var sendable = new List<(int Index, OrderRequest Request, TPrepared Prepared)>(chunk.Length);
            foreach (var (request, index) in chunk)
            {
                try
                {
                    sendable.Add((index, request, await prepare(request, cancellationToken).ConfigureAwait(false)));
                }
                catch (ExchangeException ex)
                {
                    errors.Add(new BatchItemError(index, ex.Kind, ex.Message, request.ClientOrderId));
                }
            }

            if (sendable.Count == 0)
            {
                continue;
            }

            try
            {
                var outcomes = await send([.. sendable.Select(s => (s.Request, s.Prepared))], cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < sendable.Count; i++)
                {
                    var (order, error) = i < outcomes.Count ? outcomes[i] : default;
                    if (order is not null)
                    {
                        orders.Add(order);
                        continue;
                    }

                    var ex = error ?? new ExchangeException(ExchangeErrorKind.Internal, $"{venue} answered fewer batch items than were sent");
                    errors.Add(new BatchItemError(sendable[i].Index, ex.Kind, ex.Message, sendable[i].Request.ClientOrderId));
                }
            }
            catch (ExchangeException ex) when (passThrough?.Invoke(ex) != true)
            {
                errors.AddRange(sendable.Select(s => new BatchItemError(s.Index, ex.Kind, ex.Message, s.Request.ClientOrderId)));
            }
        }

        errors.Sort((a, b) => a.Index.CompareTo(b.Index));
        return new BatchPlaceResult(orders, errors);
    }

    /// <summary>
    /// Cancels <paramref name="orderIds"/> in chunks of at most <paramref name="chunkSize"/>. <paramref name="send"/>
    /// cancels one chunk and answers the items the venue refused (by position in the chunk); each refusal is then
    /// passed to <paramref name="settle"/>, which answers the item's final error, or null when the order turns out to be
    /// finished (a venue's ambiguous "unknown order" settled by a query). A call failure fails the chunk unless
    /// <paramref name="passThrough"/> lets it end the batch.
    /// </summary>
    public static async Task<IReadOnlyList<BatchItemError>> CancelAsync(
        IReadOnlyList<string> orderIds,
        int chunkSize,
        Func<string[], CancellationToken, Task<IReadOnlyList<(int Position, ExchangeException Error)>>> send,
        Func<string, ExchangeException, CancellationToken, Task<ExchangeException?>> settle,
        CancellationToken cancellationToken,
        Func<ExchangeException, bool>? passThrough = null)
    {
        ArgumentNullException.ThrowIfNull(orderIds);
        var errors = new List<BatchItemError>();
        var start = 0;
        foreach (var chunk in orderIds.Chunk(chunkSize))
        {
            IReadOnlyList<(int Position, ExchangeException Error)> refused;
            try
            {
                refused = await send(chunk, cancellationToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex) when (passThrough?.Invoke(ex) != true)
            {
                errors.AddRange(chunk.Select((id, i) => new BatchItemError(start + i, ex.Kind, ex.Message, ExchangeOrderId: id)));
                start += chunk.Length;
                continue;
            }

            foreach (var (position, refusal) in refused)
            {
                if (await settle(chunk[position], refusal, cancellationToken).ConfigureAwait(false) is { } error)
                {
                    errors.Add(new BatchItemError(start + position, error.Kind, error.Message, ExchangeOrderId: chunk[position]));
                }
            }

            start += chunk.Length;
        }

        errors.Sort((a, b) => a.Index.CompareTo(b.Index));
        return errors;
    }

    /// <summary>Settles a refusal by calling a venue's settle step that throws its verdict: null when it returns (the order is finished).</summary>
    public static async Task<ExchangeException?> Verdict(Func<Task> settle)
    {
        try
        {
            await settle().ConfigureAwait(false);
            return null;
        }
        catch (ExchangeException ex)
        {
            return ex;
        }
    }
}
