namespace SecureAoai.Overlay;

/// <summary>The controller's answer to an enrollment: the issued certificate, or why it was refused.</summary>
internal sealed record EnrollmentResult(string? IdentityName, string? CertificatePem, string? Error);
