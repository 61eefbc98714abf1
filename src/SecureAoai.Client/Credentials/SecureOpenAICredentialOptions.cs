namespace SecureAoai.Client.Credentials;

/// <summary>Which Entra ID credentials the app may use, in which order, and for which scope.</summary>
public sealed class SecureOpenAICredentialOptions
{
    /// <summary>The default token scope for Azure OpenAI.</summary>
    public const string DefaultScope = "https://cognitiveservices.azure.com/.default";

    /// <summary>
    /// The sources to try, in order. The default value is WorkloadIdentity, ManagedIdentity, Developer
    /// (the developer credentials only count in Development unless <see cref="AllowDeveloperCredentials"/> is set).
    /// A source that is not set up here (no federated token file, for example) is skipped; one that is
    /// set up but fails stops the chain, so a broken configuration is reported instead of hidden.
    /// </summary>
    public List<CredentialSource> Sources { get; set; } = [];

    /// <summary>The token scope. The default value is <c>https://cognitiveservices.azure.com/.default</c>.</summary>
    public string Scope { get; set; } = DefaultScope;

    /// <summary>
    /// The client id of a user-assigned managed identity. The default value is <see langword="null"/>:
    /// the system-assigned identity.
    /// </summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>
    /// The Entra tenant for workload identity and app registrations. The default value is
    /// <see langword="null"/>: <c>AZURE_TENANT_ID</c>.
    /// </summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// The application (client) id for workload identity and app registrations. The default value is
    /// <see langword="null"/>: <c>AZURE_CLIENT_ID</c>.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// The federated token file for workload identity. The default value is <see langword="null"/>:
    /// <c>AZURE_FEDERATED_TOKEN_FILE</c>, which the AKS webhook sets.
    /// </summary>
    public string? FederatedTokenFile { get; set; }

    /// <summary>
    /// The Entra authority host. The default value is <see langword="null"/>: <c>AZURE_AUTHORITY_HOST</c>,
    /// else the public cloud. A loopback host (the emulator) turns instance discovery off.
    /// </summary>
    public Uri? AuthorityHost { get; set; }

    /// <summary>A PFX or PEM file with the certificate and key for <see cref="CredentialSource.ClientCertificate"/>.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The secret for <see cref="CredentialSource.ClientSecret"/>. Never logged.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// Whether developer credentials may be used outside the Development environment.
    /// The default value is <see langword="false"/>.
    /// </summary>
    public bool AllowDeveloperCredentials { get; set; }

    /// <summary>
    /// A credential built by the app, used instead of the configured chain (for example a
    /// <c>DefaultAzureCredential</c> the app configures itself). Set it with
    /// <c>AddSecureOpenAI(...).UseCredential(credential)</c>. The default value is <see langword="null"/>.
    /// </summary>
    public Azure.Core.TokenCredential? TokenCredential { get; set; }

    /// <summary>The sources in effect: <see cref="Sources"/>, or the default chain when none are listed.</summary>
    internal IReadOnlyList<CredentialSource> EffectiveSources =>
        Sources.Count > 0 ? Sources : [CredentialSource.WorkloadIdentity, CredentialSource.ManagedIdentity, CredentialSource.Developer];
}
