using OpenSqt.Backtest.Cli;

if (JitRestart.Wanted(args))
{
    return await JitRestart.RunChildAsync(args);
}

return await BacktestProgram.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
