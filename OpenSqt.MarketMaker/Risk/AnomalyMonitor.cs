using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>
/// Feeds the monitored symbols' klines (history first, then live) to the <see cref="AnomalyDetector"/> and halts or
/// resumes opening orders through <see cref="RiskState"/> (the anomaly maps to Reducing).
/// </summary>
public sealed partial class AnomalyMonitor(IExchange exchange, EngineHost host, RiskState risk, IOptions<MarketMakerOptions> options, TimeProvider time, ILogger<AnomalyMonitor> logger) : BackgroundService
{
    private readonly RiskControlOptions _options = options.Value.RiskControl;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        try
        {
            await host.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var detector = new AnomalyDetector(_options);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var symbol in detector.Symbols)
                {
                    IReadOnlyList<Candle> history;
                    try
                    {
                        history = await exchange.GetHistoricalKlinesAsync(symbol, _options.Interval, _options.AverageWindow + 2, stoppingToken).ConfigureAwait(false);
                    }
                    catch (ExchangeException ex) when (ex.Kind is ExchangeErrorKind.NotFound or ExchangeErrorKind.InvalidArgument)
                    {
                        risk.SetFatal($"{MarketMakerOptions.SectionName}:RiskControl:MonitorSymbols: '{symbol}' cannot be monitored on {exchange.Name}: {ex.Message}");
                        return;
                    }

                    foreach (var candle in history)
                    {
                        Apply(detector, candle);
                    }
                }

                await foreach (var candle in exchange.SubscribeKlinesAsync(detector.Symbols, _options.Interval, stoppingToken).ConfigureAwait(false))
                {
                    Apply(detector, candle);
                }
            }
            catch (ExchangeException ex)
            {
                Log.StreamFailed(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void Apply(AnomalyDetector detector, Candle candle)
    {
        switch (detector.OnCandle(candle))
        {
            case AnomalyTransition.Halted:
                Log.Halted(logger, detector.Reason);
                risk.SetAnomaly(detector.Reason);
                break;
            case AnomalyTransition.Resumed:
                Log.Resumed(logger);
                risk.SetAnomaly(null);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Critical, "Trading reduced: {Reason}; working opening orders cancelled, none placed, closes keep working")]
        public static partial void Halted(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Market recovered and stayed calm; opening orders resume")]
        public static partial void Resumed(ILogger logger);

        [LoggerMessage(3, LogLevel.Warning, "Kline stream for the anomaly monitor failed, resubscribing: {Reason}")]
        public static partial void StreamFailed(ILogger logger, string reason);
    }
}
