using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.State;

/// <summary>
/// Copies the state file's WAL into the database file every <see cref="MarketMakerOptions.CheckpointInterval"/>, on its
/// own connection and thread, so that no order's commit does it: the symbols' writers only append to the WAL (their
/// connections checkpoint past <see cref="EngineStateStore.BackstopCheckpointPages"/> only). A passive checkpoint never
/// waits for the writers nor holds them up; once all of the WAL is copied, the next commit starts it again from its
/// beginning, so it stays small. Starts once the engine has opened its state (after a reset at start, if any).
/// </summary>
public sealed partial class StateCheckpointer(EngineHost host, IOptions<MarketMakerOptions> options, TimeProvider time, ILogger<StateCheckpointer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.InMemoryState is not null)
        {
            // The replay's state in memory has no WAL.
            return;
        }

        EngineStateStore? store = null;
        try
        {
            await host.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(settings.CheckpointInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    store ??= EngineStateStore.Open(settings);
                    var (frames, copied) = store.Checkpoint();
                    if (copied < frames)
                    {
                        Log.Behind(logger, frames, copied);
                    }
                }
                catch (SqliteException ex)
                {
                    // The store failing is the writers' to report (they halt the engine); the checkpointer tries again.
                    Log.Failed(logger, ex.Message);
                    store?.Dispose();
                    store = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            store?.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The state file's checkpoint failed; trying again at the next one: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Debug, "The state file's checkpoint copied {Copied} of the WAL's {Frames} frames (a reader still needs the rest)")]
        public static partial void Behind(ILogger logger, long frames, long copied);
    }
}
