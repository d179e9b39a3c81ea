namespace OpenSqt.Exchanges.Tests;

/// <summary>
/// Addresses for tests that build a stream without a simulator behind it: they stay on loopback (tests never reach a
/// real exchange) and nothing listens there, so a connect attempt is refused at once.
/// </summary>
internal static class Loopback
{
    /// <summary>The discard port on 127.0.0.1; no test server listens on it.</summary>
    public const string UnreachableWs = "ws://127.0.0.1:9/ws";
}
