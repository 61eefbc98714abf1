namespace SecureAoai.Emulator;

/// <summary>
/// A federated identity credential: the emulator's Entra token endpoint exchanges a JWT from
/// <see cref="Issuer"/> about <see cref="Subject"/> for an access token of <see cref="ClientId"/>,
/// as Entra does for AKS workload identity.
/// </summary>
public sealed class EmulatorFederation
{
    /// <summary>
    /// The issuer of the federated tokens (the cluster's OIDC issuer). The emulator holds one
    /// signing key per issuer. The default value is <c>https://oidc.emulator.local/cluster</c>.
    /// </summary>
    public string Issuer { get; set; } = "https://oidc.emulator.local/cluster";

    /// <summary>
    /// The subject the federated token must carry. The default value is
    /// <c>system:serviceaccount:dev:ai-service-account</c>.
    /// </summary>
    public string Subject { get; set; } = "system:serviceaccount:dev:ai-service-account";

    /// <summary>The audience the federated token must carry. The default value is <c>api://AzureADTokenExchange</c>.</summary>
    public string Audience { get; set; } = "api://AzureADTokenExchange";

    /// <summary>
    /// The client id of the app the federation belongs to; the token request's <c>client_id</c>
    /// must equal it. The default value is <c>11111111-1111-1111-1111-111111111111</c>, the
    /// client id of the default <see cref="EmulatorIdentity"/>.
    /// </summary>
    public string ClientId { get; set; } = EmulatorOptions.DefaultClientId;
}
