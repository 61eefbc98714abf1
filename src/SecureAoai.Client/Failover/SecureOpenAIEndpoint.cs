using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Failover;

/// <summary>One Azure OpenAI resource in a failover list (<c>SecureOpenAI:Endpoints</c>).</summary>
/// <example>
/// <code>
/// "Endpoints": [
///   { "Name": "east", "Uri": "https://contoso-east.openai.azure.com/", "Priority": 1 },
///   { "Name": "west", "Uri": "https://contoso-west.openai.azure.com/", "Priority": 2,
///     "Deployments": { "chat": "gpt-4o-mini-west" } }
/// ]
/// </code>
/// </example>
public sealed class SecureOpenAIEndpoint
{
    /// <summary>A short name for logs, metrics and errors, unique in the list. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The resource endpoint with its custom subdomain, such as <c>https://NAME.openai.azure.com/</c>. Required.</summary>
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
}
