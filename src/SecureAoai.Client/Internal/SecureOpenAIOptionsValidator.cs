using Microsoft.Extensions.Options;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>The rules across settings. Each failure names the setting and the fix.</summary>
internal sealed class SecureOpenAIOptionsValidator : IValidateOptions<SecureOpenAIOptions>
{
    private const string RegionalSuffix = ".api.cognitive.microsoft.com";

    public ValidateOptionsResult Validate(string? name, SecureOpenAIOptions options)
    {
        var failures = new List<string>();
        ValidateEndpoint(options, failures);
        ValidateAuthentication(options, failures);
        ValidateDeployments(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateEndpoint(SecureOpenAIOptions options, List<string> failures)
    {
        if (options.Endpoint is not { } endpoint)
        {
            return; // [Required] reports it.
        }

        if (!endpoint.IsAbsoluteUri)
        {
            failures.Add($"SecureOpenAI:Endpoint '{endpoint}' is not an absolute URL. Use the resource's endpoint, for example https://NAME.openai.azure.com/.");
            return;
        }

        if (endpoint.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"SecureOpenAI:Endpoint '{endpoint}' does not use https. Tokens and prompts must not travel in clear text; use https://NAME.openai.azure.com/ (the emulator serves https too).");
        }

        var path = endpoint.AbsolutePath.TrimEnd('/');
        if (path.Length > 0 && !path.StartsWith("/openai", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"SecureOpenAI:Endpoint '{endpoint}' has a path; give the resource root, for example https://{endpoint.Authority}/.");
        }

        if (options.TrustedCaCertificatePath is { Length: > 0 } ca)
        {
            var authority = CredentialChainFactory.AuthorityHost(options.Credential);
            if (!EndpointTrust.IsLoopback(endpoint) && !EndpointTrust.IsLoopback(authority))
            {
                failures.Add("SecureOpenAI:TrustedCaCertificatePath is only for a loopback endpoint such as the local emulator; a real endpoint is validated against the system's trust store. Remove the setting.");
            }
            else if (!File.Exists(ca))
            {
                failures.Add($"SecureOpenAI:TrustedCaCertificatePath '{ca}' does not exist. Point it at the emulator's ca.pem.");
            }
        }
    }

    private static void ValidateAuthentication(SecureOpenAIOptions options, List<string> failures)
    {
        var usesKey = !string.IsNullOrEmpty(options.ApiKey);
        if (usesKey && !options.AllowApiKey)
        {
            failures.Add("SecureOpenAI:ApiKey is set, but API keys are refused because SecureOpenAI:AllowApiKey is false. Remove the key and authenticate with Entra ID (workload or managed identity); set AllowApiKey to true only if you accept a static secret with full data-plane access.");
        }

        if (!usesKey && options.Endpoint is { IsAbsoluteUri: true } endpoint
            && endpoint.Host.EndsWith(RegionalSuffix, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"SecureOpenAI:Endpoint '{endpoint}' is a regional endpoint, and Entra ID tokens are only accepted on a resource's custom subdomain. Give the resource a custom subdomain (Azure portal: Networking, or 'az cognitiveservices account update --custom-domain NAME'; it cannot be undone) and set the endpoint to https://NAME.openai.azure.com/.");
        }

        if (usesKey)
        {
            return;
        }

        var credential = options.Credential;
        if (string.IsNullOrWhiteSpace(credential.Scope) || !Uri.TryCreate(credential.Scope, UriKind.Absolute, out _))
        {
            failures.Add($"SecureOpenAI:Credential:Scope '{credential.Scope}' is not a scope URI; the default is {SecureOpenAICredentialOptions.DefaultScope}.");
        }

        if (credential.AuthorityHost is { } host && (!host.IsAbsoluteUri || host.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"SecureOpenAI:Credential:AuthorityHost '{host}' must be an https URL, such as https://login.microsoftonline.com/.");
        }

        IReadOnlyList<CredentialSource> sources = credential.TokenCredential is null ? credential.EffectiveSources : [];
        if (sources.Contains(CredentialSource.ClientCertificate) && string.IsNullOrEmpty(credential.ClientCertificatePath))
        {
            failures.Add("SecureOpenAI:Credential:Sources includes ClientCertificate, but SecureOpenAI:Credential:ClientCertificatePath is not set.");
        }

        if (sources.Contains(CredentialSource.ClientSecret) && string.IsNullOrEmpty(credential.ClientSecret))
        {
            failures.Add("SecureOpenAI:Credential:Sources includes ClientSecret, but SecureOpenAI:Credential:ClientSecret is not set.");
        }

        if ((sources.Contains(CredentialSource.ClientCertificate) || sources.Contains(CredentialSource.ClientSecret))
            && (string.IsNullOrEmpty(credential.TenantId ?? Environment.GetEnvironmentVariable("AZURE_TENANT_ID"))
                || string.IsNullOrEmpty(credential.ClientId ?? Environment.GetEnvironmentVariable("AZURE_CLIENT_ID"))))
        {
            failures.Add("An app-registration credential needs SecureOpenAI:Credential:TenantId and :ClientId (or AZURE_TENANT_ID and AZURE_CLIENT_ID).");
        }
    }

    private static void ValidateDeployments(SecureOpenAIOptions options, List<string> failures)
    {
        foreach (var (key, deployment) in options.Deployments)
        {
            if (deployment is null || string.IsNullOrWhiteSpace(deployment.Name))
            {
                failures.Add($"SecureOpenAI:Deployments:{key}:Name is missing. Set it to the deployment's name in Azure, for example \"gpt-4o-mini\".");
            }
            else if (!Enum.IsDefined(deployment.Kind))
            {
                failures.Add($"SecureOpenAI:Deployments:{key}:Kind must be Chat or Embedding.");
            }
        }
    }
}
