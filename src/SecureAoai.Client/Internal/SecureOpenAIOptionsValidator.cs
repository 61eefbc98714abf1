using Microsoft.Extensions.Options;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>The rules across settings. Each failure names the setting and the fix.</summary>
internal sealed class SecureOpenAIOptionsValidator : IValidateOptions<SecureOpenAIOptions>
{
    private const string RegionalSuffix = ".api.cognitive.microsoft.com";

    /// <summary>The shortest attempt timeout Polly's timeout strategy accepts.</summary>
    private static readonly TimeSpan MinAttemptTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>The shortest break Polly's circuit breaker accepts (and its shortest sampling window).</summary>
    private static readonly TimeSpan MinBreakDuration = TimeSpan.FromSeconds(0.5);

    /// <summary>The longest attempt timeout, break or sampling window Polly accepts.</summary>
    private static readonly TimeSpan MaxPipelineDuration = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, SecureOpenAIOptions options)
    {
        var failures = new List<string>();
        ValidateEndpoint(options, failures);
        CredentialSettingsValidator.Validate(options, failures);
        ValidateCredentialSources(options, failures);
        ValidateDeployments(options, failures);
        NetworkOptionsValidator.Validate(options.Network, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateEndpoint(SecureOpenAIOptions options, List<string> failures)
    {
        if (options.Endpoint is null && options.Endpoints.Count == 0)
        {
            failures.Add("SecureOpenAI:Endpoint is missing. Set it to your resource's custom-subdomain endpoint, for example https://NAME.openai.azure.com/, or list several resources under SecureOpenAI:Endpoints.");
            return;
        }

        if (options.Endpoint is not null && options.Endpoints.Count > 0)
        {
            failures.Add("SecureOpenAI:Endpoint and SecureOpenAI:Endpoints are both set. Use Endpoint for one resource or Endpoints for several, not both.");
        }

        var uris = new List<Uri>();
        if (options.Endpoint is { } single && ValidateUri(single, "SecureOpenAI:Endpoint", UsesEntra(options, new SecureOpenAIEndpoint(), SecureOpenAIOptions.SectionName), options.Network, NetworkPolicyEvaluator.DefaultNetworkSetting, options, failures))
        {
            uris.Add(single);
        }

        var hosts = new Dictionary<string, (string Setting, SecureOpenAINetworkOptions Network)>(StringComparer.OrdinalIgnoreCase);

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Endpoints.Count; i++)
        {
            var endpoint = options.Endpoints[i];
            var at = $"SecureOpenAI:Endpoints:{i}";
            if (string.IsNullOrWhiteSpace(endpoint.Name))
            {
                failures.Add($"{at}:Name is missing. Give each endpoint a short name such as \"east\"; it appears in logs, metrics and errors.");
            }
            else if (!names.Add(endpoint.Name))
            {
                failures.Add($"{at}:Name '{endpoint.Name}' is used twice; endpoint names must be unique.");
            }

            if (endpoint.Uri is null)
            {
                failures.Add($"{at}:Uri is missing. Set it to the resource's custom-subdomain endpoint, for example https://NAME.openai.azure.com/.");
            }
            else if (ValidateUri(endpoint.Uri, $"{at}:Uri", UsesEntra(options, endpoint, at), endpoint.Network ?? options.Network,
                endpoint.Network is null ? NetworkPolicyEvaluator.DefaultNetworkSetting : $"{at}:Network", options, failures))
            {
                // Gateways may share a host (one API Management, several APIs); not a base address.
                var baseUri = EndpointTable.BaseUri(endpoint.Uri);
                if (uris.Any(u => EndpointTable.BaseUri(u) == baseUri))
                {
                    failures.Add($"{at}:Uri '{Display(endpoint.Uri)}' is listed twice; each endpoint must be a different resource or gateway path.");
                }

                // Endpoints on one host are resolved and connected to one way: by the first one's network settings.
                var reachedBy = endpoint.Network ?? options.Network;
                if (hosts.TryGetValue(endpoint.Uri.Authority, out var first) && !SameNetwork(first.Network, reachedBy))
                {
                    failures.Add($"{at}:Network differs from that of {first.Setting}, which shares its host {endpoint.Uri.Authority}: endpoints on one host are reached one way. Give them the same network settings.");
                }

                hosts.TryAdd(endpoint.Uri.Authority, (at, reachedBy));
                uris.Add(endpoint.Uri);
            }

            if (endpoint.Priority < 0)
            {
                failures.Add($"{at}:Priority is {endpoint.Priority}; it must be 0 or more (lower is tried first).");
            }

            if (endpoint.Weight is < 1 or > 1000)
            {
                failures.Add($"{at}:Weight is {endpoint.Weight}; it must be between 1 and 1000.");
            }

            foreach (var key in endpoint.Deployments.Keys.Where(k => !options.Deployments.ContainsKey(k)))
            {
                failures.Add($"{at}:Deployments:{key} names no deployment under SecureOpenAI:Deployments; the keys there are: {string.Join(", ", options.Deployments.Keys)}.");
            }

            if (endpoint.Network is { } network)
            {
                NetworkOptionsValidator.Validate(network, failures, $"{at}:Network");
            }

            if (!string.IsNullOrEmpty(endpoint.ApiKey) && !options.AllowApiKey)
            {
                failures.Add($"{at}:ApiKey is set, but API keys are refused because SecureOpenAI:AllowApiKey is false. Remove the key and authenticate with Entra ID.");
            }
        }

        var failover = options.Failover;
        if (failover.TotalTimeout <= TimeSpan.Zero || failover.AttemptTimeout <= TimeSpan.Zero || failover.AttemptTimeout > failover.TotalTimeout)
        {
            failures.Add("SecureOpenAI:Failover:AttemptTimeout and :TotalTimeout must be positive, and AttemptTimeout no longer than TotalTimeout.");
        }

        if (failover.BaseCooldown <= TimeSpan.Zero || failover.BreakerBreakDuration <= TimeSpan.Zero || failover.BreakerFailureThreshold is < 2 or > 1000)
        {
            failures.Add("SecureOpenAI:Failover:BaseCooldown and :BreakerBreakDuration must be positive, and :BreakerFailureThreshold between 2 and 1000.");
        }

        // The resilience pipeline's own bounds, said here at start rather than by Polly at the first request.
        if (failover.AttemptTimeout > TimeSpan.Zero && (failover.AttemptTimeout < MinAttemptTimeout || failover.AttemptTimeout > MaxPipelineDuration))
        {
            failures.Add($"SecureOpenAI:Failover:AttemptTimeout is {failover.AttemptTimeout.TotalSeconds:0.###} s; it must be between 10 ms and 1 day (the default is 100 s).");
        }

        if (failover.BreakerBreakDuration > TimeSpan.Zero && (failover.BreakerBreakDuration < MinBreakDuration || failover.BreakerBreakDuration > MaxPipelineDuration))
        {
            failures.Add($"SecureOpenAI:Failover:BreakerBreakDuration is {failover.BreakerBreakDuration.TotalSeconds:0.###} s; it must be between 0.5 s and 1 day (the default is 30 s).");
        }

        ValidateTrust(options, uris, failures);
    }

    /// <summary>Checks one endpoint URI; returns whether it is usable for the checks that follow.</summary>
    /// <param name="endpoint">The URI.</param>
    /// <param name="setting">Its setting, for the messages.</param>
    /// <param name="usesEntra">Whether the endpoint is sent Entra ID tokens (the custom-subdomain rule applies).</param>
    /// <param name="network">The endpoint's network settings in effect.</param>
    /// <param name="networkSetting">Their setting, for the messages.</param>
    /// <param name="options">The options.</param>
    /// <param name="failures">Where failures go.</param>
    private static bool ValidateUri(Uri endpoint, string setting, bool usesEntra, SecureOpenAINetworkOptions network, string networkSetting, SecureOpenAIOptions options, List<string> failures)
    {
        if (!endpoint.IsAbsoluteUri)
        {
            failures.Add($"{setting} '{endpoint.OriginalString.Split('?')[0]}' is not an absolute URL. Use the resource's endpoint, for example https://NAME.openai.azure.com/, or a gateway's, such as https://NAME.azure-api.net/PREFIX/.");
            return false;
        }

        var shown = Display(endpoint);
        if (endpoint.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{setting} '{shown}' does not use https. Tokens and prompts must not travel in clear text; use https://NAME.openai.azure.com/ (the emulator serves https too).");
        }

        // A path is a gateway's prefix (API Management's API URL suffix, a Front Door route): kept on every request.
        if (endpoint.UserInfo.Length > 0 || endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0)
        {
            failures.Add($"{setting} '{shown}' carries a user name, query string or fragment; give the address and path prefix alone. A gateway's subscription key goes in SubscriptionKey (with SecureOpenAI:AllowSubscriptionKey), never in the URL, where logs and proxies keep it.");
        }

        if (usesEntra && endpoint.Host.EndsWith(RegionalSuffix, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{setting} '{shown}' is a regional endpoint, and Entra ID tokens are only accepted on a resource's custom subdomain. Give the resource a custom subdomain (Azure portal: Networking, or 'az cognitiveservices account update --custom-domain NAME'; it cannot be undone) and set the endpoint to https://NAME.openai.azure.com/.");
        }

        if (network.Policy == NetworkPolicy.RequirePrivate && AzureHostNames.IsFrontDoor(endpoint.IdnHost) && options.Connector?.Handles(endpoint.IdnHost, endpoint.Port) != true)
        {
            failures.Add($"{setting} '{shown}' is an Azure Front Door endpoint, which is reached only over Front Door's public edge: Front Door has no private endpoint for clients (its Private Link connects it to its origins). Under the network policy RequirePrivate it could never be connected to. Set {networkSetting}:Policy to AllowPublic for this endpoint (under SecureOpenAI:Endpoints, so the others stay private), or list the gateways or resources behind Front Door by their private endpoints instead.");
        }

        return true;
    }

    private static bool SameNetwork(SecureOpenAINetworkOptions a, SecureOpenAINetworkOptions b) =>
        ReferenceEquals(a, b)
        || (a.Policy == b.Policy && a.DnsTimeout == b.DnsTimeout && a.ConnectTimeout == b.ConnectTimeout
            && a.DnsServers.SequenceEqual(b.DnsServers, StringComparer.OrdinalIgnoreCase)
            && a.HostOverrides.Count == b.HostOverrides.Count
            && a.HostOverrides.All(o => b.HostOverrides.TryGetValue(o.Key, out var other) && string.Equals(o.Value, other, StringComparison.OrdinalIgnoreCase)));

    /// <summary>A URI for a message: scheme, host, port and path; never a user name or query, where a secret could hide.</summary>
    private static string Display(Uri uri) => $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}";

    private static bool UsesEntra(SecureOpenAIOptions options, SecureOpenAIEndpoint endpoint, string setting) =>
        EndpointAuthentication.Choose(options, endpoint, setting).Kind == EndpointCredentialKind.EntraToken;

    private static void ValidateTrust(SecureOpenAIOptions options, List<Uri> endpoints, List<string> failures)
    {
        if (options.TrustedCaCertificatePath is { Length: > 0 } ca)
        {
            var authority = CredentialChainFactory.AuthorityHost(options.Credential);
            // A name can reach the emulator only through a resolver the app configured; without one,
            // the setting could only ever be ignored, which is worth saying at start.
            var resolvedLocally = new[] { options.Network }.Concat(options.Endpoints.Select(e => e.Network).OfType<SecureOpenAINetworkOptions>())
                .Any(n => n.DnsServers.Count > 0 || n.HostOverrides.Count > 0);
            if (!endpoints.Any(EndpointTrust.IsLoopback) && !EndpointTrust.IsLoopback(authority) && !resolvedLocally)
            {
                failures.Add("SecureOpenAI:TrustedCaCertificatePath is only for a loopback endpoint such as the local emulator; a real endpoint is validated against the system's trust store. Remove the setting.");
            }
            else if (!File.Exists(ca))
            {
                failures.Add($"SecureOpenAI:TrustedCaCertificatePath '{ca}' does not exist. Point it at the emulator's ca.pem.");
            }
        }
    }

    /// <summary>The credential chain's settings, when some endpoint is sent Entra ID tokens.</summary>
    private static void ValidateCredentialSources(SecureOpenAIOptions options, List<string> failures)
    {
        if (!CredentialSettingsValidator.AnyUsesEntra(options))
        {
            return;
        }

        var credential = options.Credential;
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
