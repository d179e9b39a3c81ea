using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>
/// Reads the account every <c>Limits:AccountCheckInterval</c> and hands it to <see cref="RiskState.OnAccount"/>: the
/// margin-usage and liquidation-distance guard, and the margin balance the leverage limit is measured against.
/// </summary>
public sealed partial class AccountRiskMonitor(IExchange exchange, EngineHost host, RiskState risk, IOptions<MarketMakerOptions> options, TimeProvider time, ILogger<AccountRiskMonitor> logger) : BackgroundService
{
    private readonly RiskLimitOptions _options = options.Value.Limits;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await host.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(_options.AccountCheckInterval, time);
            do
            {
                try
                {
                    risk.OnAccount(await exchange.GetAccountAsync(stoppingToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed read must not stop the host: the guard tries again at the next check.
                    Log.ReadFailed(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The account could not be read for the margin guard; trying again at the next check: {Reason}")]
        public static partial void ReadFailed(ILogger logger, string reason);
    }
}
