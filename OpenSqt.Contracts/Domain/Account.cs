namespace OpenSqt.Contracts;

/// <summary>A one-way position. <see cref="Size"/> is signed: positive long, negative short.</summary>
public sealed record Position
{
    public required string Symbol { get; init; }
    public required decimal Size { get; init; }
    public decimal EntryPrice { get; init; }
    public decimal MarkPrice { get; init; }
    public decimal UnrealizedPnl { get; init; }
    public decimal RealizedPnl { get; init; }
    public int Leverage { get; init; }
    public string MarginType { get; init; } = "cross";
    public decimal LiquidationPrice { get; init; }
    public DateTimeOffset UpdateTime { get; init; }

    public bool IsFlat => Size == 0;
}

/// <summary>The margin account in the quote asset (USDT).</summary>
public sealed record Account
{
    public required decimal WalletBalance { get; init; }
    public required decimal MarginBalance { get; init; }
    public required decimal AvailableBalance { get; init; }
    public decimal UnrealizedPnl { get; init; }
    public decimal MaintenanceMargin { get; init; }
    public int Leverage { get; init; }
    public bool IsUnified { get; init; }
    public IReadOnlyList<Position> Positions { get; init; } = [];
    public DateTimeOffset UpdateTime { get; init; }

    /// <summary>Funding the venue settled since its previous account event, each payment once.</summary>
    public IReadOnlyList<FundingFee> FundingFees { get; init; } = [];
}

/// <summary>
/// One funding settlement of one position, as the venue reports it (Binance: ACCOUNT_UPDATE with reason FUNDING_FEE,
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Balance-and-Position-Update).
/// <see cref="Amount"/> is signed in <see cref="Asset"/>: negative paid, positive received. <see cref="Symbol"/> and
/// <see cref="FundingTime"/> identify it.
/// </summary>
public sealed record FundingFee
{
    public required string Symbol { get; init; }
    public required decimal Amount { get; init; }
    public string Asset { get; init; } = "USDT";
    public decimal Rate { get; init; }

    /// <summary>The signed position size the payment was computed on.</summary>
    public decimal PositionSize { get; init; }
    public decimal MarkPrice { get; init; }
    public required DateTimeOffset FundingTime { get; init; }
}

/// <summary>What a venue connection says about itself.</summary>
public sealed record ExchangeHealth(bool IsHealthy, string Description);

/// <summary>Raised when a stream had to reconnect: whatever happened during the gap must be reconciled.</summary>
public sealed class StreamReconnectedEventArgs(string stream, int attempts, TimeSpan downtime) : EventArgs
{
    /// <summary>Which stream reconnected ("orders", "price", ...).</summary>
    public string Stream { get; } = stream;

    /// <summary>Connection attempts it took.</summary>
    public int Attempts { get; } = attempts;

    /// <summary>How long the stream was down.</summary>
    public TimeSpan Downtime { get; } = downtime;
}
