namespace SecureAoai.Overlay;

/// <summary>
/// A router as the controller stores it: an enrolled party of its own, with a server certificate for
/// the address it listens on and role attributes that router policies select.
/// </summary>
/// <param name="Id">Its id, which its certificate names (<c>urn:secureaoai:router:ID</c>).</param>
/// <param name="Name">Its name (also its certificate's common name).</param>
/// <param name="Roles">Its role attributes, without <c>#</c>.</param>
/// <param name="Address">Where identities reach it, <c>HOST:PORT</c>; <see langword="null"/> until it enrolls.</param>
/// <param name="CertificateThumbprint">The SHA-256 of its certificate's DER, lower-case hex; <see langword="null"/> until it enrolls.</param>
/// <param name="IsRevoked">Whether it is revoked: the controller no longer answers it, and no identity is sent to it.</param>
/// <param name="IsEmbedded">Whether it runs inside the controller's process (<see cref="OverlayRouterHostOptions.Controller"/>) rather than enrolled from a token.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record RouterRecord(
    string Id,
    string Name,
    IReadOnlyList<string> Roles,
    string? Address,
    string? CertificateThumbprint,
    bool IsRevoked,
    bool IsEmbedded,
    DateTimeOffset CreatedAt)
{
    /// <summary>Gets a value indicating whether the router has enrolled (holds a certificate).</summary>
    public bool IsEnrolled => CertificateThumbprint is not null;
}
