namespace SecureAoai.Overlay;

/// <summary>Why an enrollment failed; each calls for a different fix.</summary>
public enum OverlayEnrollmentFailure
{
    /// <summary>The token is malformed or has expired before it was presented; ask for a new one.</summary>
    InvalidToken,

    /// <summary>The controller's certificate did not chain to the CA whose fingerprint the token names; nothing secret was sent.</summary>
    ControllerUntrusted,

    /// <summary>The controller refused the token (used, expired, revoked, wrong signature) or the request.</summary>
    Refused,

    /// <summary>The controller could not be reached or did not answer in time.</summary>
    Unreachable,

    /// <summary>
    /// The token enrolls a router where an identity was being enrolled, or an identity where a router
    /// was; nothing was sent. Enroll it the other way (<see cref="EnrollmentClient.EnrollRouterAsync"/> or
    /// <see cref="EnrollmentClient.EnrollAsync"/>).
    /// </summary>
    WrongTokenKind,
}
