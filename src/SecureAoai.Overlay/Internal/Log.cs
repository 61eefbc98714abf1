using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Internal;

/// <summary>Every log message of the overlay data plane. None takes key material or payload bytes as an argument.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Overlay session started (initiator: {IsInitiator}).")]
    public static partial void SessionStarted(ILogger logger, bool isInitiator);

    [LoggerMessage(2, LogLevel.Information, "Overlay session ended: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Overlay session ended on an error: {Reason}")]
    public static partial void SessionFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Refused incoming stream {StreamId}: {Reason}")]
    public static partial void IncomingStreamRefused(ILogger logger, uint streamId, string reason);
}
