namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// Why a stream was reset or a session closed: the first two bytes (big-endian) of every Reset and
/// GoAway payload, ahead of the words. A receiver decides by this number, never by the words, and
/// reads a number it does not know as <see cref="Refused"/>. Values are part of the wire format and never change.
/// </summary>
internal enum ReasonCode : ushort
{
    /// <summary>No particular reason: a stream its application aborted, a session closed normally.</summary>
    None = 0,

    /// <summary>Refused; the words say why (a malformed request, a binder that refused).</summary>
    Refused = 1,

    /// <summary>The identity may not do this, or the service does not exist (one answer for both, so names cannot be probed), or the identity is unknown or revoked.</summary>
    NotAuthorized = 2,

    /// <summary>The service has no live binder.</summary>
    NoTerminator = 3,

    /// <summary>A limit is reached for now (a session's streams or pending opens, a binder that did not answer in time, an identity's sessions); later may succeed.</summary>
    Busy = 4,

    /// <summary>The peer broke the protocol; the session ends.</summary>
    ProtocolViolation = 5,

    /// <summary>
    /// The router cannot authorize the request now: its controller has been unreachable for longer
    /// than it may serve from its last snapshot, it holds no grant for the request while the controller
    /// is unreachable, or the controller no longer answers it (revoked). Another router, or later, may succeed.
    /// </summary>
    ControllerUnreachable = 6,
}
