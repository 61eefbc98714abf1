using System.Net;
using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Controller;

/// <summary>The controller's log messages. None carries a token, key or certificate body.</summary>
internal static partial class ControllerLog
{
    [LoggerMessage(1, LogLevel.Information, "Overlay controller listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint);

    [LoggerMessage(2, LogLevel.Warning, "Refused a connection from {Remote}: {MaxConnections} connections are already open")]
    public static partial void TooManyConnections(ILogger logger, EndPoint? remote, int maxConnections);

    [LoggerMessage(3, LogLevel.Debug, "Connection from {Remote} ended: {Reason}")]
    public static partial void ConnectionEnded(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(4, LogLevel.Information, "Enrolled identity {Identity}")]
    public static partial void Enrolled(ILogger logger, string identity);

    [LoggerMessage(5, LogLevel.Warning, "Refused an enrollment from {Remote}: {Reason}")]
    public static partial void EnrollmentRefused(ILogger logger, EndPoint? remote, string reason);

    [LoggerMessage(6, LogLevel.Information, "Revoked identity {Identity}")]
    public static partial void Revoked(ILogger logger, string identity);

    [LoggerMessage(7, LogLevel.Warning, "Refused a connection from {Remote}: {MaxConnections} connections from that source are already open")]
    public static partial void TooManyConnectionsFromSource(ILogger logger, EndPoint? remote, int maxConnections);

    [LoggerMessage(8, LogLevel.Information, "Revoked router {Router}")]
    public static partial void RouterRevoked(ILogger logger, string router);

    [LoggerMessage(9, LogLevel.Information, "Enrolled router {Router} for {Address}")]
    public static partial void RouterEnrolled(ILogger logger, string router, string address);

    [LoggerMessage(10, LogLevel.Warning, "Refused a router request from {Remote}: {Reason}")]
    public static partial void RouterRefused(ILogger logger, EndPoint? remote, string reason);
}
