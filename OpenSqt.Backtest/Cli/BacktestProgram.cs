using System.Globalization;
using OpenSqt.Backtest.Data;
using OpenSqt.Backtest.Output;
using OpenSqt.Backtest.Replay;

namespace OpenSqt.Backtest.Cli;

/// <summary>
/// The backtest command: parse, check the data, replay, write the outputs. Exit code 0 on success, 2 for a command line
/// it cannot run, 1 for data or a run it refuses; on failure nothing is left in the output folder that looks complete.
/// </summary>
public static class BacktestProgram
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Count == 0 || args.Contains("--help") || args.Contains("-h"))
        {
            await stdout.WriteLineAsync(BacktestCommand.Usage).ConfigureAwait(false);
            return args.Count == 0 ? BadUsage : Ok;
        }

        if (args.Contains("--bench"))
        {
            try
            {
                return await BenchCommand.RunAsync(args, stdout, cancellationToken).ConfigureAwait(false);
            }
            catch (UsageException ex)
            {
                await stderr.WriteLineAsync("backtest: " + ex.Message).ConfigureAwait(false);
                return BadUsage;
            }
        }

        BacktestCommand command;
        Microsoft.Extensions.Configuration.IConfiguration engine;
        try
        {
            command = BacktestCommand.Parse(args);
            engine = command.EngineConfiguration();
        }
        catch (Exception ex) when (ex is UsageException or FormatException or InvalidDataException)
        {
            await stderr.WriteLineAsync("backtest: " + ex.Message + Environment.NewLine + "run with --help for the options").ConfigureAwait(false);
            return BadUsage;
        }

        try
        {
            if (command.Sweep is { } sweep)
            {
                return await SweepCommand.RunAsync(command, sweep, stdout, stderr, cancellationToken).ConfigureAwait(false);
            }

            ReportWriter.Clear(command.Out);
            var data = MarketData.Open(command.Data, command.Symbol, command.StartMs, command.EndMs);
            foreach (var side in data.SideFiles)
            {
                await stdout.WriteLineAsync($"not replayed (recording side file): {side}").ConfigureAwait(false);
            }

            var runner = new ReplayRunner(new ReplaySettings
            {
                Symbol = command.Symbol,
                Engine = engine,
                StatePath = Path.Combine(Path.GetFullPath(command.Out), "engine-state.db"),
                OrderLatency = command.Latency,
                QueueModel = command.Queue,
                MakerFeeRate = command.MakerFee,
                TakerFeeRate = command.TakerFee,
                FundingRate = command.FundingRate,
                InitialBalance = command.Balance,
                Leverage = command.Leverage,
                StateWritesBehind = command.StateWritesBehind,
            });
            var result = await runner.RunAsync(data, cancellationToken).ConfigureAwait(false);
            ReportWriter.Write(command.Out, result);
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Events} events ({result.EventsPerSecond:0} per second), {result.Fills.Count} fills, {result.RoundTrips} round trips, realised PnL {result.RealisedPnl:0.########}, fees {result.Fees:0.########}, max drawdown {result.MaxDrawdown:0.########}; report: {Path.Combine(command.Out, ReportWriter.ReportFile)}")).ConfigureAwait(false);
            return Ok;
        }
        catch (Exception ex) when (ex is DataFormatException or ReplayException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync("backtest: " + ex.Message).ConfigureAwait(false);
            return Failed;
        }
    }
}
