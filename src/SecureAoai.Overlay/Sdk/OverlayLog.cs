using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay;

/// <summary>The SDK's log messages; none carries a key or payload byte.</summary>
internal static partial class OverlayLog
{
    [LoggerMessage(201, LogLevel.Information, "Overlay identity '{Identity}' connected to router {Router}.")]
    public static partial void Connected(ILogger logger, string identity, string router);

    [LoggerMessage(202, LogLevel.Warning, "Overlay identity '{Identity}' lost its router {Router}; reconnecting.")]
    public static partial void Disconnected(ILogger logger, string identity, string router);

    [LoggerMessage(203, LogLevel.Information, "Overlay identity '{Identity}' reconnected to router {Router} and bound {Count} service(s) there again.")]
    public static partial void Rebound(ILogger logger, string identity, string router, int count);

    [LoggerMessage(204, LogLevel.Warning, "Overlay identity '{Identity}' could not reconnect to router {Router}; next try in {DelayMs} ms: {Reason}")]
    public static partial void ReconnectFailed(ILogger logger, string identity, string router, double delayMs, string reason);

    [LoggerMessage(205, LogLevel.Warning, "A dial of '{Service}' from '{Caller}' failed its end-to-end handshake: {Reason}")]
    public static partial void HandshakeFailed(ILogger logger, string service, string caller, string reason);

    [LoggerMessage(206, LogLevel.Warning, "A tunnel connection to '{Service}' failed: {Reason}")]
    public static partial void TunnelFailed(ILogger logger, string service, string reason);

    [LoggerMessage(207, LogLevel.Warning, "A dial of '{Service}' could not be forwarded to {Target}: {Reason}")]
    public static partial void ForwardFailed(ILogger logger, string service, string target, string reason);

    [LoggerMessage(208, LogLevel.Warning, "The router session of '{Identity}' failed ({Error}); reconnecting.")]
    public static partial void SessionFailed(ILogger logger, string identity, string error);

    [LoggerMessage(209, LogLevel.Warning, "A dial of '{Service}' was refused: it carried no valid dial grant ({Reason}). The router may be compromised or misconfigured.")]
    public static partial void DialGrantRefused(ILogger logger, string service, string reason);

    [LoggerMessage(210, LogLevel.Warning, "The bind of '{Service}' at router {Router} ended: {Reason}. Binding there again in {DelayMs} ms.")]
    public static partial void BindEnded(ILogger logger, string service, string router, string reason, double delayMs);

    [LoggerMessage(211, LogLevel.Debug, "The bind grant of '{Service}' was renewed; it expires at {ExpiresAt}.")]
    public static partial void BindGrantRenewed(ILogger logger, string service, DateTimeOffset expiresAt);
}
