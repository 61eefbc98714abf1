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
    /// The far end of the dial did not prove that it may bind the service: its certificate is not an
    /// overlay identity's, it holds no valid controller-signed bind grant for this service and
    /// certificate, or its handshake proof does not verify. The router that joined the dial is
    /// compromised or misconfigured; nothing was sent on the stream.
    /// </summary>
    BinderNotEntitled,

    /// <summary>
    /// The router's TLS certificate is not an overlay router's: it does not chain to the identity's
    /// overlay CA, lacks the server-authentication usage, or does not match the address dialed.
    /// Check the router address; a party that is not a router is answering there.
    /// </summary>
    RouterNotTrusted,

    /// <summary>
    /// Every binder of the service is at a limit right now (its streams, its pending dials, or an open
    /// that took longer than the router's <c>BinderOpenTimeout</c>), or this identity has as many router
    /// sessions as it may. Nothing is wrong with the request: trying again later may succeed.
    /// </summary>
    Busy,

    /// <summary>
    /// The router cannot authorize the dial or bind now: it has not reached its controller for longer
    /// than it may serve from its last policy snapshot (<see cref="OverlayRouterHostOptions.ControllerOutageTolerance"/>),
    /// or holds no grant for this request while the controller is unreachable, or the controller no
    /// longer recognizes the router. Nothing is wrong with this identity's rights: another router, or
    /// the same one once its controller is back, may succeed.
    /// </summary>
    ControllerUnreachable,
}
