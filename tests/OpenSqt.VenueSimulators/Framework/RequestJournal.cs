using System.Collections.Concurrent;

namespace OpenSqt.VenueSimulators.Framework;

/// <summary>A simulator's answer to one REST request: status, body and the headers to send with it.</summary>
public sealed record RestAnswer(int Status, string Body, Dictionary<string, string> Headers);

/// <summary>One request as the simulator received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string RawQuery, string Body, int Status);

/// <summary>Every request a simulator received, in order, for tests that assert what the client sent.</summary>
public sealed class RequestJournal
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public void Add(RecordedRequest request) => _requests.Enqueue(request);

    public IReadOnlyList<RecordedRequest> All => [.. _requests];

    public int Count(string method, string path) => _requests.Count(r => r.Method == method && r.Path == path);

    /// <summary>Responses with this status so far.</summary>
    public int WithStatus(int status) => _requests.Count(r => r.Status == status);
}
