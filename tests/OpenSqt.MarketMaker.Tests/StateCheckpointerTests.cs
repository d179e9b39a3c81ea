using Microsoft.Data.Sqlite;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// The state file's WAL reaches the database file through the engine's checkpointer, never inside an order's commit.
/// What a copy of the database file alone (without its WAL) holds is what was checkpointed.
/// </summary>
[Collection(VenueCollection.Name)]
public sealed class StateCheckpointerTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("opensqt-checkpoint").FullName;

    private string State => Path.Combine(_directory, "engine.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void CommitsPastSqlitesDefaultCheckpointLeaveTheirOrdersInTheWalUntilACheckpointCopiesThemAllAndStartsTheWalAgain()
    {
        using var writer = EngineStateStore.Open(State);
        using var checkpointer = EngineStateStore.Open(State);
        for (var sequence = 1; sequence <= 1500; sequence++)
        {
            var order = new SlotOrder
            {
                ClientOrderId = "TESTbP1X" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Role = OrderRole.OpenLong,
                Price = 94_900m,
                Quantity = 0.002m,
                PostOnly = true,
            };
            writer.SaveOrder("BTCUSDT", 1, order, sequence);
        }

        // SQLite's own policy (1,000 pages) would have checkpointed inside one of these commits.
        Assert.Equal(0, OrdersInDatabaseFile());

        var (frames, copied) = checkpointer.Checkpoint();

        Assert.True(frames > 1000, $"the WAL held {frames} frames");
        Assert.Equal(frames, copied);
        Assert.Equal(1500, OrdersInDatabaseFile());

        // The checkpointer started the WAL again itself, with its own small write: it holds that write, not the 1,500
        // orders, before any order's commit could have restarted it.
        Assert.InRange(writer.Checkpoint().Frames, 1, 4);

        // Nothing written since its last checkpoint: the next one leaves the file alone.
        Assert.NotEqual((0L, 0L), checkpointer.Checkpoint());
        Assert.Equal((0L, 0L), checkpointer.Checkpoint());
    }

    [Fact]
    public async Task TheRunningEngineCheckpointsItsOrdersIntoTheDatabaseFile()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var settings = EngineHarness.BtcGrid(State);
        settings["MarketMaker:CheckpointInterval"] = "00:00:00.100";
        await using var engine = await EngineHarness.StartAsync(connector, settings);
        await Eventually.TrueAsync(async () => (await connector.Sim.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");

        // Three orders are a few WAL pages, far below any commit's checkpoint: only the checkpointer copies them.
        await Eventually.TrueAsync(() => OrdersInDatabaseFile() >= 3, Wait, "the orders are in the database file");
    }

    /// <summary>The orders in a copy of the database file without its WAL; 0 while it has none (or no order tables yet).</summary>
    private long OrdersInDatabaseFile()
    {
        var copy = Path.Combine(_directory, $"copy-{Guid.NewGuid():N}.db");
        File.Copy(State, copy);
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT (SELECT COUNT(*) FROM working_orders) + (SELECT COUNT(*) FROM orders)";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            // Copied before the table reached the file, or while a checkpoint wrote it: not yet.
            return 0;
        }
    }
}
