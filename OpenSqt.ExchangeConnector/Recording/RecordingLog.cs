namespace OpenSqt.ExchangeConnector.Recording;

/// <summary>Log events of the recorder: EventIds 140-149.</summary>
internal static partial class RecordingLog
{
    [LoggerMessage(140, LogLevel.Information, "Recording {Venue} {Symbols} to {Path}")]
    public static partial void Started(ILogger logger, string venue, string symbols, string path);

    [LoggerMessage(141, LogLevel.Information, "Recording file {File} opened")]
    public static partial void FileOpened(ILogger logger, string file);

    [LoggerMessage(142, LogLevel.Warning, "Recording fell behind: {Dropped} records dropped so far (Recording:BufferSize {BufferSize}); trading is not affected")]
    public static partial void Dropped(ILogger logger, long dropped, int bufferSize);

    [LoggerMessage(143, LogLevel.Warning, "Recording stream {Stream} failed, resubscribing: {Reason}")]
    public static partial void StreamFailed(ILogger logger, string stream, string reason);

    [LoggerMessage(144, LogLevel.Error, "Recording stream {Stream} refused by the venue, not recorded: {Reason}")]
    public static partial void StreamRefused(ILogger logger, string stream, string reason);

    [LoggerMessage(145, LogLevel.Error, "Recording stopped: the files cannot be written ({Reason}); trading is not affected")]
    public static partial void WriterFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(146, LogLevel.Information, "Recording stopped: {Written} records written, {Dropped} dropped")]
    public static partial void Stopped(ILogger logger, long written, long dropped);
}
