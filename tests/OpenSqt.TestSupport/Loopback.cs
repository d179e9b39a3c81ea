namespace OpenSqt.TestSupport;

/// <summary>Addresses for streams a test builds without a simulator: on loopback, never at a venue.</summary>
public static class Loopback
{
    /// <summary>
    /// A WebSocket URL nothing answers: the discard port (9) on 127.0.0.1, where no test host listens, so a connect
    /// is refused at once and the stream stays on its reconnect path without ever leaving the machine.
    /// </summary>
    public const string UnreachableWs = "ws://127.0.0.1:9/";
}
