using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Failover;

/// <summary>One Azure OpenAI resource, or one gateway in front of resources, in a failover list (<c>SecureOpenAI:Endpoints</c>).</summary>
/// <example>
/// <code>
/// "Endpoints": [
///   { "Name": "east", "Uri": "https://contoso-east.openai.azure.com/", "Priority": 1 },
///   { "Name": "west", "Uri": "https://contoso-west.openai.azure.com/", "Priority": 2,
///     "Deployments": { "chat": "gpt-4o-mini-west" } },
///   { "Name": "apim-north", "Uri": "https://contoso-apim-north.azure-api.net/aoai/", "Priority": 3,
///     "Scope": "api://contoso-aoai-gateway/.default" }
/// ]
/// </code>
/// </example>
public sealed class SecureOpenAIEndpoint
{
    /// <summary>A short name for logs, metrics and errors, unique in the list. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// The resource endpoint with its custom subdomain, such as <c>https://NAME.openai.azure.com/</c>, or a
    /// gateway with its path prefix, such as <c>https://contoso-apim.azure-api.net/aoai/</c>; a request
    /// moved here keeps this endpoint's own prefix. Required.
    /// </summary>
    public Uri? Uri { get; set; }

    /// <summary>Lower is tried first; endpoints of one priority share the load by <see cref="Weight"/>. The default value is 1.</summary>
    public int Priority { get; set; } = 1;

    /// <summary>The share of requests within its priority, relative to the others. The default value is 1.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>
    /// Deployment names at this resource, by the logical name of <c>SecureOpenAI:Deployments</c>
    /// (<c>"chat": "gpt-4o-mini-west"</c>). A logical name not listed uses its default name. The
    /// default value is empty.
    /// </summary>
    public Dictionary<string, string> Deployments { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>This resource's resolver and network policy. The default value is <see langword="null"/>: <c>SecureOpenAI:Network</c>.</summary>
    public SecureOpenAINetworkOptions? Network { get; set; }

    /// <summary>
    /// This resource's API key, when the app uses keys (<c>SecureOpenAI:AllowApiKey</c>). The default
    /// value is <see langword="null"/>: <c>SecureOpenAI:ApiKey</c>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The Entra ID token scope for this endpoint, such as <c>api://contoso-aoai-gateway/.default</c>
    /// for an API Management gateway that validates tokens for its own audience. Tokens are cached
    /// per scope and each endpoint is sent only tokens of its own. The default value is
    /// <see langword="null"/>: <c>SecureOpenAI:Credential:Scope</c>.
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>
    /// This gateway's subscription key, sent in <see cref="SubscriptionKeyHeader"/> instead of a token;
    /// needs <c>SecureOpenAI:AllowSubscriptionKey</c>. The default value is <see langword="null"/>:
    /// <c>SecureOpenAI:SubscriptionKey</c>, if set.
    /// </summary>
    public string? SubscriptionKey { get; set; }

    /// <summary>
    /// The header this gateway reads its subscription key from (<c>Ocp-Apim-Subscription-Key</c> or
    /// <c>api-key</c>). The default value is <see langword="null"/>: <c>SecureOpenAI:SubscriptionKeyHeader</c>.
    /// </summary>
    public string? SubscriptionKeyHeader { get; set; }
}
