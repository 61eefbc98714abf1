namespace SecureAoai.Overlay;

/// <summary>Why a dial failed.</summary>
public enum OverlayDialFailure
{
    /// <summary>No policy lets this identity dial (or bind) the service, or there is no such service (one answer for both), or the identity is unknown or revoked.</summary>
    NotAuthorized,

    /// <summary>The service exists but nobody binds it right now.</summary>
    NoTerminator,

    /// <summary>
    /// The overlay has no service of that name. Routers of this version never answer it: a name the
    /// identity may not use gets <see cref="NotAuthorized"/> whether or not it exists, so names cannot be probed.
    /// </summary>
    NoSuchService,

    /// <summary>The router could not be reached or the connection to it was lost.</summary>
    RouterUnreachable,

    /// <summary>The binder refused the stream, or the end-to-end handshake failed.</summary>
    Refused,

    /// <summary>
    /// Every binder of the service is at a limit right now (its streams, its pending dials, or an open
    /// that took longer than the router's <c>BinderOpenTimeout</c>), or this identity has as many router
    /// sessions as it may. Nothing is wrong with the request: trying again later may succeed.
    /// </summary>
    Busy,
}
