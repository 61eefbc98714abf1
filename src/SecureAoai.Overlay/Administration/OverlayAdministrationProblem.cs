namespace SecureAoai.Overlay;

/// <summary>Why an administrative request failed; each calls for a different fix.</summary>
public enum OverlayAdministrationProblem
{
    /// <summary>The directory holds no overlay (no <c>overlay.db</c>, <c>ca.pem</c> or <c>ca.key</c>): initialize one there first.</summary>
    NotInitialized,

    /// <summary>The directory already holds an overlay: initializing would overwrite its CA.</summary>
    AlreadyInitialized,

    /// <summary>No entity of that kind has that name.</summary>
    NotFound,

    /// <summary>An entity of that kind already has that name.</summary>
    AlreadyExists,

    /// <summary>A value is not valid: <see cref="OverlayAdministrationException.Parameter"/> names it and <see cref="OverlayAdministrationException.Value"/> holds it.</summary>
    InvalidValue,

    /// <summary>The entity is in a state that does not allow the request (such as a token for an identity already enrolled).</summary>
    InvalidState,
}
