using Microsoft.Extensions.Options;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.State;

/// <summary>A read connection to the state file for the operator services (WAL lets it read while the writers write).</summary>
public sealed class EngineReadStore(IOptions<MarketMakerOptions> options) : IDisposable
{
    private readonly Lock _gate = new();
    private EngineStateStore? _store;

    public T Use<T>(Func<EngineStateStore, T> query)
    {
        lock (_gate)
        {
            _store ??= EngineStateStore.Open(options.Value);
            return query(_store);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _store?.Dispose();
            _store = null;
        }
    }
}
