using OpenSqt.Backtest.Cli;

return await BacktestProgram.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
