using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;

namespace OpenSqt.ExchangeConnector.Recording;

/// <summary>
/// Records what the connector receives from the venue (<c>Recording__Path</c>): every trade with its size and aggressor,
/// every change of the best bid and ask, the mark price and funding rate, and the venue's acknowledgements and fills of
/// orders on the recorded symbols, each with the local time it arrived, to the files of <see cref="TapeFiles"/>.
/// The recorder reads its own subscriptions, apart from the ones the clients are served from, and hands each item to one
/// writer through a bounded buffer: a full buffer drops the record (counted in <c>exchange_connector_recording_records</c>
/// with <c>outcome=dropped</c>, and logged), never a stream; a disk that fails stops the recording, never the connector.
/// </summary>
public sealed class TapeRecorder : IHostedService, IAsyncDisposable
{
    public const string Records = "exchange_connector_recording_records";

    private readonly IExchange _exchange;
    private readonly RecordingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Counter<long> _records;
    private readonly Channel<TapeRecord> _buffer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private Task? _writer;
    private TapeFiles? _files;
    private long _dropped;
    private long _written;

    public TapeRecorder(IExchange exchange, IOptions<RecordingOptions> options, TimeProvider time, IMeterFactory meters, ILogger<TapeRecorder> logger)
    {
        _exchange = exchange;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _records = meters.Create(ConnectorMetrics.MeterName).CreateCounter<long>(Records, description: "Records of the venue's streams written to the recording, or dropped because the writer fell behind, by outcome");
        _buffer = Channel.CreateBounded<TapeRecord>(new BoundedChannelOptions(_options.BufferSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>Records written to the files so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records dropped because the writer fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The files written so far.</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            var files = _files;
            if (files is null)
            {
                return [];
            }

            lock (files)
            {
                return [.. files.Paths];
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        if (_exchange is not IMarketTape tape)
        {
            throw new OptionsValidationException(RecordingOptions.SectionName, typeof(RecordingOptions),
                [$"{RecordingOptions.SectionName}:Path is set, but the connector of venue '{_exchange.Name}' does not stream the public tape (trades with their sizes, best bid and ask) that a recording needs; unset {RecordingOptions.SectionName}:Path or record on a venue that does (see README, Record and replay)"]);
        }

        var symbols = _options.SymbolList;
        var set = symbols.ToHashSet(StringComparer.Ordinal);
        var root = Path.GetFullPath(_options.Path!);
        Directory.CreateDirectory(root);
        _files = new TapeFiles(root, _exchange.Name, _logger);
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        var stop = _stop.Token;
        _pumps.Add(PumpAsync("trades", t => tape.SubscribeTradesAsync(symbols, t), (TapeTrade x) => new TapeRecord(TapeKind.Trade, x.Symbol, x.Timestamp, ReceivedUs(), x), stop));
        _pumps.Add(PumpAsync("book", t => tape.SubscribeBookTopAsync(symbols, t), (BookTop x) => new TapeRecord(TapeKind.Book, x.Symbol, x.Timestamp, ReceivedUs(), x), stop));
        _pumps.Add(PumpAsync("orders", _exchange.SubscribeOrdersAsync, (OrderUpdate x) => set.Contains(x.Symbol) ? new TapeRecord(TapeKind.Order, x.Symbol, x.UpdateTime, ReceivedUs(), x) : null, stop));
        foreach (var symbol in symbols)
        {
            _pumps.Add(PumpAsync("mark " + symbol, t => _exchange.SubscribeFundingRateAsync(symbol, t), (FundingRate x) => new TapeRecord(TapeKind.Mark, x.Symbol, x.Timestamp, ReceivedUs(), x), stop));
        }

        RecordingLog.Started(_logger, _exchange.Name, string.Join(",", symbols), root);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_pumps).WaitAsync(cancellationToken).ConfigureAwait(false);
        _buffer.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        RecordingLog.Stopped(_logger, Written, Dropped);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _buffer.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private long ReceivedUs() => (_time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    private void Offer(in TapeRecord record)
    {
        if (_buffer.Writer.TryWrite(record))
        {
            return;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        _records.Add(1, new KeyValuePair<string, object?>("outcome", "dropped"));
        if ((dropped & (dropped - 1)) == 0)
        {
            // 1, 2, 4, 8, ...: a writer that stays behind is reported without a log line per record.
            RecordingLog.Dropped(_logger, dropped, _options.BufferSize);
        }
    }

    private async Task PumpAsync<T>(string stream, Func<CancellationToken, IAsyncEnumerable<T>> subscribe, Func<T, TapeRecord?> record, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var item in subscribe(stop).WithCancellation(stop).ConfigureAwait(false))
                {
                    if (record(item) is { } r)
                    {
                        Offer(r);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ExchangeException ex) when (ex.Kind is ExchangeErrorKind.InvalidArgument or ExchangeErrorKind.NotFound)
            {
                // An unknown symbol in Recording:Symbols: asking again gets the same answer.
                RecordingLog.StreamRefused(_logger, stream, ex.Message);
                return;
            }
            catch (Exception ex)
            {
                RecordingLog.StreamFailed(_logger, stream, ex.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WriteAsync()
    {
        var files = _files!;
        var reader = _buffer.Reader;
        var lastFlush = _time.GetTimestamp();
        var dirty = false;
        try
        {
            while (true)
            {
                while (reader.TryRead(out var record))
                {
                    lock (files)
                    {
                        files.Write(record);
                    }

                    Interlocked.Increment(ref _written);
                    _records.Add(1, new KeyValuePair<string, object?>("outcome", "written"));
                    dirty = true;
                    if (_time.GetElapsedTime(lastFlush) >= _options.FlushInterval)
                    {
                        files.Flush();
                        lastFlush = _time.GetTimestamp();
                        dirty = false;
                    }
                }

                if (!dirty)
                {
                    if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    continue;
                }

                // Records are waiting on the compressor: on disk within FlushInterval even if nothing else arrives.
                using var quiet = new CancellationTokenSource(_options.FlushInterval, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(quiet.Token).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (quiet.IsCancellationRequested)
                {
                    files.Flush();
                    lastFlush = _time.GetTimestamp();
                    dirty = false;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RecordingLog.WriterFailed(_logger, ex.Message, ex);
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (files)
            {
                try
                {
                    files.Dispose();
                }
                catch (IOException ex)
                {
                    RecordingLog.WriterFailed(_logger, ex.Message, ex);
                }
            }
        }
    }
}
