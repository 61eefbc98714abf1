using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Router;

/// <summary>The log messages of an enrolled router's dealings with its controller. None carries a key, grant or certificate body.</summary>
internal static partial class RemoteAuthorityLog
{
    [LoggerMessage(150, LogLevel.Warning, "The controller at {Controller} cannot be reached ({Reason}); serving from the last snapshot, trying again in {DelayMs} ms.")]
    public static partial void ControllerUnreachable(ILogger logger, string controller, string reason, double delayMs);

    [LoggerMessage(151, LogLevel.Information, "Router '{Router}' read the controller's state {Version}: {Count} identities may use it.")]
    public static partial void SnapshotRead(ILogger logger, string router, string version, int count);

    [LoggerMessage(152, LogLevel.Error, "Router '{Router}' is refused by its controller and serves nobody: {Reason}")]
    public static partial void RefusedByController(ILogger logger, string router, string reason);
}
