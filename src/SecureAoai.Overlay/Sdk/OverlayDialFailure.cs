namespace SecureAoai.Overlay;

/// <summary>Why a dial failed.</summary>
public enum OverlayDialFailure
{
    /// <summary>No Dial policy lets this identity use the service.</summary>
    NotAuthorized,

    /// <summary>The service exists but nobody binds it right now.</summary>
    NoTerminator,

    /// <summary>The overlay has no service of that name.</summary>
    NoSuchService,

    /// <summary>The router could not be reached or the connection to it was lost.</summary>
    RouterUnreachable,

    /// <summary>The binder refused the stream, or the end-to-end handshake failed.</summary>
    Refused,
}
