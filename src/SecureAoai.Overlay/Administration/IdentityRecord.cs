namespace SecureAoai.Overlay;

/// <summary>An identity as the controller stores it.</summary>
/// <param name="Id">Its id, which its certificate names (<c>urn:secureaoai:identity:ID</c>).</param>
/// <param name="Name">Its name (also its certificate's common name).</param>
/// <param name="Roles">Its role attributes, without <c>#</c>.</param>
/// <param name="CertificateThumbprint">The SHA-256 of its enrolled certificate's DER, lower-case hex; <see langword="null"/> until it enrolls.</param>
/// <param name="CertificateSerial">Its enrolled certificate's serial number; <see langword="null"/> until it enrolls.</param>
/// <param name="IsRevoked">Whether it is revoked: it may no longer open sessions, dial or bind.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record IdentityRecord(
    string Id,
    string Name,
    IReadOnlyList<string> Roles,
    string? CertificateThumbprint,
    string? CertificateSerial,
    bool IsRevoked,
    DateTimeOffset CreatedAt)
{
    /// <summary>Gets a value indicating whether the identity has enrolled (holds a certificate).</summary>
    public bool IsEnrolled => CertificateThumbprint is not null;
}
