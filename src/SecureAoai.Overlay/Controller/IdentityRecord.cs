namespace SecureAoai.Overlay.Controller;

/// <summary>An identity as the controller stores it. The thumbprint is the SHA-256 of the enrolled certificate's DER (hex), null until enrolled.</summary>
internal sealed record IdentityRecord(
    string Id,
    string Name,
    IReadOnlyList<string> Roles,
    string? CertificateThumbprint,
    string? CertificateSerial,
    bool IsRevoked,
    DateTimeOffset CreatedAt)
{
    public bool IsEnrolled => CertificateThumbprint is not null;
}
