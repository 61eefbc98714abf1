using Microsoft.Extensions.Logging;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>The hosting layer's log messages.</summary>
internal static partial class OverlayHostingLog
{
    [LoggerMessage(401, LogLevel.Information, "Serving overlay service '{Service}' as '{Identity}'.")]
    public static partial void Bound(ILogger logger, string service, string identity);

    [LoggerMessage(402, LogLevel.Information, "Stopped accepting dials of overlay service '{Service}'.")]
    public static partial void Unbound(ILogger logger, string service);

    [LoggerMessage(403, LogLevel.Debug, "Connection {ConnectionId}: '{Caller}' dialed '{Service}'.")]
    public static partial void Accepted(ILogger logger, string connectionId, string caller, string service);

    [LoggerMessage(404, LogLevel.Warning, "A dial of overlay service '{Service}' failed before it became a connection: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string service, string reason);
}
