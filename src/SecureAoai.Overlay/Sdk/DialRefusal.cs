using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>What a refusal from the router means to a dialer or binder: decided by its reason code on the wire, never by its words.</summary>
internal static class DialRefusal
{
    /// <summary>The failure a reason code stands for; a code without a meaning of its own is <see cref="OverlayDialFailure.Refused"/>.</summary>
    public static OverlayDialFailure FailureOf(ReasonCode code) => code switch
    {
        ReasonCode.NotAuthorized => OverlayDialFailure.NotAuthorized,
        ReasonCode.NoTerminator => OverlayDialFailure.NoTerminator,
        ReasonCode.Busy => OverlayDialFailure.Busy,
        ReasonCode.ControllerUnreachable => OverlayDialFailure.ControllerUnreachable,
        _ => OverlayDialFailure.Refused,
    };

    /// <summary>The exception for a dial or bind of <paramref name="service"/> the router refused.</summary>
    public static OverlayDialException Exception(string service, string what, string identity, MuxStreamRejectedException rejected) =>
        new(service, FailureOf(rejected.Code), $"{what} of '{service}' as '{identity}' failed: {rejected.Reason}.", rejected);
}
