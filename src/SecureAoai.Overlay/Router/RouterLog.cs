using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Router;

/// <summary>The router's log messages; none carries a key, token or payload byte.</summary>
internal static partial class RouterLog
{
    [LoggerMessage(101, LogLevel.Information, "Overlay router listening on {EndPoint}.")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(102, LogLevel.Warning, "Refused a connection from '{Subject}': {Reason}.")]
    public static partial void Refused(ILogger logger, string subject, string reason);

    [LoggerMessage(103, LogLevel.Debug, "TLS handshake failed: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string reason);

    [LoggerMessage(104, LogLevel.Information, "Identity '{Identity}' connected.")]
    public static partial void Connected(ILogger logger, string identity);

    [LoggerMessage(105, LogLevel.Information, "Session of '{Identity}' ended: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string identity, string reason);

    [LoggerMessage(106, LogLevel.Warning, "Identity '{Identity}' may not {Action} service '{Service}'.")]
    public static partial void Denied(ILogger logger, string identity, string action, string service);

    [LoggerMessage(107, LogLevel.Information, "Identity '{Identity}' binds service '{Service}'.")]
    public static partial void Bound(ILogger logger, string identity, string service);

    [LoggerMessage(108, LogLevel.Information, "Identity '{Identity}' no longer binds service '{Service}'.")]
    public static partial void Unbound(ILogger logger, string identity, string service);

    [LoggerMessage(109, LogLevel.Debug, "A stream of '{Identity}' failed: {Reason}")]
    public static partial void StreamFailed(ILogger logger, string identity, string reason);

    [LoggerMessage(110, LogLevel.Warning, "Identity '{Identity}' was revoked; its connections are closed.")]
    public static partial void ClosedRevoked(ILogger logger, string identity);

    [LoggerMessage(111, LogLevel.Warning, "Closed a connection at once: {Limit} TLS handshakes are already in progress (MaxConcurrentHandshakes).")]
    public static partial void HandshakeCapReached(ILogger logger, int limit);

    [LoggerMessage(112, LogLevel.Warning, "Binder '{Identity}' of service '{Service}' did not answer a dial within {Seconds} s (BinderOpenTimeout); trying another.")]
    public static partial void BinderSlow(ILogger logger, string identity, string service, double seconds);
}
