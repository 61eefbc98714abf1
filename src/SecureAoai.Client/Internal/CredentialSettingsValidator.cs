using SecureAoai.Client.Credentials;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The rules of what endpoints are sent to authenticate: API keys and gateway subscription keys only
/// when allowed, one kind of credential per endpoint, header names a gateway can read, scopes that are
/// scopes. Each failure names the setting and the fix, and never the secret.
/// </summary>
internal static class CredentialSettingsValidator
{
    /// <summary>Headers a subscription key must not replace: they carry credentials or framing the transport owns.</summary>
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Host", "Cookie", "Connection", "Keep-Alive", "Content-Length", "Content-Type",
        "Content-Encoding", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Expect",
    };

    /// <summary>
    /// The endpoints as configured, each with its configuration path: the list, or the one
    /// <c>Endpoint</c> as an endpoint with no settings of its own.
    /// </summary>
    public static IEnumerable<(SecureOpenAIEndpoint Endpoint, string Setting)> Configured(SecureOpenAIOptions options) =>
        options.Endpoints.Count > 0
            ? options.Endpoints.Select((e, i) => (Endpoint: e, Setting: $"{SecureOpenAIOptions.SectionName}:Endpoints:{i}"))
            : options.Endpoint is { } single ? [(Endpoint: new SecureOpenAIEndpoint { Name = single.IdnHost, Uri = single }, Setting: SecureOpenAIOptions.SectionName)] : [];

    /// <summary>Whether some endpoint authenticates with an Entra ID token (so the credential settings matter).</summary>
    public static bool AnyUsesEntra(SecureOpenAIOptions options) =>
        Configured(options).Any(c => EndpointAuthentication.Choose(options, c.Endpoint, c.Setting).Kind == EndpointCredentialKind.EntraToken);

    public static void Validate(SecureOpenAIOptions options, List<string> failures)
    {
        var usesApiKey = !string.IsNullOrEmpty(options.ApiKey);
        if (usesApiKey && !options.AllowApiKey)
        {
            failures.Add("SecureOpenAI:ApiKey is set, but API keys are refused because SecureOpenAI:AllowApiKey is false. Remove the key and authenticate with Entra ID (workload or managed identity); set AllowApiKey to true only if you accept a static secret with full data-plane access.");
        }

        if (!usesApiKey && options.Endpoints.Any(e => !string.IsNullOrEmpty(e.ApiKey)))
        {
            failures.Add("SecureOpenAI:Endpoints lists an ApiKey, but the app authenticates with Entra ID. Per-endpoint keys apply only when SecureOpenAI:ApiKey is set too (with AllowApiKey); remove them and use Entra ID everywhere.");
        }

        if (!string.IsNullOrEmpty(options.SubscriptionKey))
        {
            RequireAllowed(options, "SecureOpenAI:SubscriptionKey", failures);
            if (usesApiKey)
            {
                failures.Add("SecureOpenAI:ApiKey and SecureOpenAI:SubscriptionKey are both set, but an endpoint authenticates one way: ApiKey is an Azure OpenAI resource's own key, SubscriptionKey a gateway's (API Management). Keep the one your endpoints take.");
            }
        }

        ValidateHeader(options.SubscriptionKeyHeader, "SecureOpenAI:SubscriptionKeyHeader", failures);
        for (var i = 0; i < options.Endpoints.Count; i++)
        {
            ValidateEndpoint(options, options.Endpoints[i], $"SecureOpenAI:Endpoints:{i}", failures);
        }

        var credential = options.Credential;
        if (AnyUsesEntra(options) && !IsScope(credential.Scope))
        {
            failures.Add($"SecureOpenAI:Credential:Scope '{credential.Scope}' is not a scope URI; the default is {SecureOpenAICredentialOptions.DefaultScope}.");
        }
    }

    /// <summary>Whether a value can be an Entra ID scope: an absolute URI (<c>https://...</c>, <c>api://...</c>), or an app id with <c>/.default</c>.</summary>
    public static bool IsScope(string? scope) =>
        !string.IsNullOrWhiteSpace(scope) && !scope.Any(char.IsWhiteSpace)
        && (Uri.TryCreate(scope, UriKind.Absolute, out _)
            || (scope.EndsWith("/.default", StringComparison.Ordinal) && Guid.TryParse(scope[..^"/.default".Length], out _)));

    private static void ValidateEndpoint(SecureOpenAIOptions options, SecureOpenAIEndpoint endpoint, string at, List<string> failures)
    {
        if (!string.IsNullOrEmpty(endpoint.SubscriptionKey))
        {
            RequireAllowed(options, $"{at}:SubscriptionKey", failures);
            if (!string.IsNullOrEmpty(options.ApiKey))
            {
                failures.Add($"{at}:SubscriptionKey is set, but the app uses API keys (SecureOpenAI:ApiKey), which would go to this endpoint too; an endpoint authenticates one way. Remove one of them.");
            }
        }

        if (!string.IsNullOrEmpty(endpoint.SubscriptionKeyHeader))
        {
            ValidateHeader(endpoint.SubscriptionKeyHeader, $"{at}:SubscriptionKeyHeader", failures);
            if (string.IsNullOrEmpty(endpoint.SubscriptionKey) && string.IsNullOrEmpty(options.SubscriptionKey))
            {
                failures.Add($"{at}:SubscriptionKeyHeader is set, but no subscription key is: set {at}:SubscriptionKey (or SecureOpenAI:SubscriptionKey), or remove the header setting.");
            }
        }

        if (endpoint.Scope is { } scope)
        {
            var choice = EndpointAuthentication.Choose(options, endpoint, at);
            if (choice.Kind != EndpointCredentialKind.EntraToken)
            {
                failures.Add($"{at}:Scope is set, but the endpoint authenticates with a key ({choice.Setting}), so no token is sent to it. Remove one of them.");
            }
            else if (!IsScope(scope))
            {
                failures.Add($"{at}:Scope '{scope}' is not a scope: use the audience the endpoint accepts with /.default, such as api://CLIENT-ID/.default for a gateway that validates tokens for its own app, or {SecureOpenAICredentialOptions.DefaultScope} for Azure OpenAI.");
            }
        }
    }

    private static void RequireAllowed(SecureOpenAIOptions options, string setting, List<string> failures)
    {
        if (!options.AllowSubscriptionKey)
        {
            failures.Add($"{setting} is set, but subscription keys are refused because SecureOpenAI:AllowSubscriptionKey is false. A gateway's subscription key is a static secret like an API key: authenticate to the gateway with Entra ID instead (the endpoint's Scope, or SecureOpenAI:Credential:Scope, set to the audience the gateway validates); set AllowSubscriptionKey to true only if you accept a static secret shared by every caller of the subscription.");
        }
    }

    /// <summary>A subscription key header must be a header name (an RFC 9110 token) that carries nothing else.</summary>
    private static void ValidateHeader(string? header, string setting, List<string> failures)
    {
        if (string.IsNullOrEmpty(header) || !header.All(IsTokenChar) || ReservedHeaders.Contains(header))
        {
            failures.Add($"{setting} '{header}' is not a header a gateway reads a subscription key from: use {SecureOpenAIOptions.DefaultSubscriptionKeyHeader} (API Management's default) or api-key (APIs imported from Azure OpenAI), or the name the API's subscription settings give.");
        }
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
