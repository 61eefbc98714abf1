namespace SecureAoai.Client.Credentials;

/// <summary>One credential the chain tried and the error it gave.</summary>
/// <param name="Name">The credential, such as <c>ManagedIdentity</c> or <c>AzureCli</c>.</param>
/// <param name="Unavailable"><see langword="true"/> when the credential is not set up in this environment; <see langword="false"/> when it is set up but failed.</param>
/// <param name="Error">The credential's own error.</param>
public sealed record CredentialAttempt(string Name, bool Unavailable, Exception Error);
