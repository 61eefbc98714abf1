namespace SecureAoai.Client.Credentials;

/// <summary>A way to obtain an Entra ID token; the chain tries the configured sources in order.</summary>
public enum CredentialSource
{
    /// <summary>AKS workload identity: a federated token file exchanged at Entra ID (<c>AZURE_FEDERATED_TOKEN_FILE</c>).</summary>
    WorkloadIdentity,

    /// <summary>A system- or user-assigned managed identity (IMDS, App Service, Container Apps).</summary>
    ManagedIdentity,

    /// <summary>The signed-in developer: Azure CLI, Azure Developer CLI, then Visual Studio. Off outside Development unless allowed.</summary>
    Developer,

    /// <summary>An app registration with a certificate.</summary>
    ClientCertificate,

    /// <summary>An app registration with a client secret.</summary>
    ClientSecret,
}
