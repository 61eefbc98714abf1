using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>Builds the configured chain from Azure.Identity's own credential types.</summary>
internal static class CredentialChainFactory
{
    public static IReadOnlyList<NamedCredential> Create(SecureOpenAICredentialOptions options, EndpointTrust trust, bool isDevelopment)
    {
        var credentials = new List<NamedCredential>();
        foreach (var source in options.EffectiveSources.Distinct())
        {
            switch (source)
            {
                case CredentialSource.WorkloadIdentity:
                    credentials.Add(new("WorkloadIdentity", CreateWorkloadIdentity(options, trust)));
                    break;
                case CredentialSource.ManagedIdentity:
                    var id = string.IsNullOrEmpty(options.ManagedIdentityClientId)
                        ? ManagedIdentityId.SystemAssigned
                        : ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId);
                    credentials.Add(new("ManagedIdentity", new ManagedIdentityCredential(new ManagedIdentityCredentialOptions(id))));
                    break;
                case CredentialSource.Developer:
                    AddDeveloperCredentials(credentials, options, isDevelopment);
                    break;
                case CredentialSource.ClientCertificate:
                    credentials.Add(new("ClientCertificate", new ClientCertificateCredential(
                        TenantId(options), ClientId(options), options.ClientCertificatePath, Configure(new ClientCertificateCredentialOptions(), options, trust))));
                    break;
                case CredentialSource.ClientSecret:
                    credentials.Add(new("ClientSecret", new ClientSecretCredential(
                        TenantId(options), ClientId(options), options.ClientSecret, Configure(new ClientSecretCredentialOptions(), options, trust))));
                    break;
                default:
                    throw new InvalidOperationException($"SecureOpenAI:Credential:Sources contains an unknown source '{source}'.");
            }
        }

        return credentials;
    }

    /// <summary>The authority host in effect: configured, else AZURE_AUTHORITY_HOST, else the public cloud.</summary>
    public static Uri AuthorityHost(SecureOpenAICredentialOptions options) =>
        options.AuthorityHost
        ?? (Uri.TryCreate(Environment.GetEnvironmentVariable("AZURE_AUTHORITY_HOST"), UriKind.Absolute, out var fromEnvironment) ? fromEnvironment : null)
        ?? AzureAuthorityHosts.AzurePublicCloud;

    private static WorkloadIdentityCredential CreateWorkloadIdentity(SecureOpenAICredentialOptions options, EndpointTrust trust)
    {
        var workload = Configure(new WorkloadIdentityCredentialOptions(), options, trust);
        if (!string.IsNullOrEmpty(options.TenantId))
        {
            workload.TenantId = options.TenantId;
        }

        if (!string.IsNullOrEmpty(options.ClientId))
        {
            workload.ClientId = options.ClientId;
        }

        if (!string.IsNullOrEmpty(options.FederatedTokenFile))
        {
            workload.TokenFilePath = options.FederatedTokenFile;
        }

        return new WorkloadIdentityCredential(workload);
    }

    private static void AddDeveloperCredentials(List<NamedCredential> credentials, SecureOpenAICredentialOptions options, bool isDevelopment)
    {
        if (!isDevelopment && !options.AllowDeveloperCredentials)
        {
            credentials.Add(new("Developer", new UnavailableCredential(
                "developer credentials are off outside the Development environment; set SecureOpenAI:Credential:AllowDeveloperCredentials to true to use them here.")));
            return;
        }

        credentials.Add(new("AzureCli", new AzureCliCredential(new AzureCliCredentialOptions { TenantId = options.TenantId })));
        credentials.Add(new("AzureDeveloperCli", new AzureDeveloperCliCredential(new AzureDeveloperCliCredentialOptions { TenantId = options.TenantId })));
        credentials.Add(new("VisualStudio", new VisualStudioCredential(new VisualStudioCredentialOptions { TenantId = options.TenantId })));
    }

    private static T Configure<T>(T credentialOptions, SecureOpenAICredentialOptions options, EndpointTrust trust)
        where T : TokenCredentialOptions
    {
        var authority = AuthorityHost(options);
        credentialOptions.AuthorityHost = authority;
        if (EndpointTrust.IsLoopback(authority))
        {
            // A local authority (the emulator) is not a known Entra cloud: discovery would ask
            // login.microsoftonline.com about it, and its certificate comes from the test CA.
            SetDisableInstanceDiscovery(credentialOptions);
            credentialOptions.Transport = new HttpClientTransport(new HttpClient(trust.CreateHandler(), disposeHandler: true));
        }

        return credentialOptions;
    }

    private static void SetDisableInstanceDiscovery(TokenCredentialOptions credentialOptions)
    {
        switch (credentialOptions)
        {
            case WorkloadIdentityCredentialOptions w: w.DisableInstanceDiscovery = true; break;
            case ClientCertificateCredentialOptions c: c.DisableInstanceDiscovery = true; break;
            case ClientSecretCredentialOptions s: s.DisableInstanceDiscovery = true; break;
        }
    }

    private static string TenantId(SecureOpenAICredentialOptions options) =>
        options.TenantId ?? Environment.GetEnvironmentVariable("AZURE_TENANT_ID") ?? "";

    private static string ClientId(SecureOpenAICredentialOptions options) =>
        options.ClientId ?? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID") ?? "";
}
