using Grpc.Core;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Services;

/// <summary>The OpenSqt additions of issue 14: client leases and the state of the venue's dead-man's switch.</summary>
public sealed partial class ExchangeGrpcService
{
    public override Task<W.Lease> AcquireLease(W.AcquireLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(Safety.ConnectorSafety.ToWire(safety.Acquire(request.ClientOrderIdPrefix, request.ClientName, request.TtlSeconds)));

    public override Task<W.Lease> RenewLease(W.RenewLeaseRequest request, ServerCallContext context) =>
        Task.FromResult(Safety.ConnectorSafety.ToWire(safety.Leases.Renew(RequiredLeaseId(request.LeaseId))));

    public override Task<W.ReleaseLeaseResponse> ReleaseLease(W.ReleaseLeaseRequest request, ServerCallContext context)
    {
        safety.Release(RequiredLeaseId(request.LeaseId));
        return Task.FromResult(new W.ReleaseLeaseResponse());
    }

    public override Task<W.SafetyStatus> GetSafetyStatus(W.GetSafetyStatusRequest request, ServerCallContext context) =>
        Task.FromResult(safety.Status());

    public override async Task SubscribeSafetyEvents(W.SubscribeSafetyEventsRequest request, IServerStreamWriter<W.SafetyEvent> responseStream, ServerCallContext context)
    {
        // Registered before the headers go out: a client that waited for the headers misses nothing after them.
        using var subscription = safety.Subscribe();
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
        try
        {
            await foreach (var item in subscription.Reader.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(item, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static string RequiredLeaseId(string leaseId) =>
        string.IsNullOrWhiteSpace(leaseId) ? throw RequestValidation.Invalid("lease_id is required") : leaseId;
}
