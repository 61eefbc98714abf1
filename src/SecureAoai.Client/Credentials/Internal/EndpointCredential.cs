namespace SecureAoai.Client.Credentials.Internal;

/// <summary>How one endpoint authenticates.</summary>
internal enum EndpointCredentialKind
{
    /// <summary>An Entra ID bearer token for the endpoint's scope.</summary>
    EntraToken,

    /// <summary>An Azure OpenAI resource key in the <c>api-key</c> header.</summary>
    ApiKey,

    /// <summary>A gateway's subscription key (API Management) in the endpoint's subscription key header.</summary>
    SubscriptionKey,
}

/// <summary>
/// What one endpoint is sent to authenticate, and the setting that decides it (so a refusal can name
/// it): a token from the cache of the endpoint's own scope, or a key in a header. The key is never
/// part of <see cref="ToString"/> or of any message.
/// </summary>
internal sealed class EndpointCredential
{
    /// <summary>The header an Azure OpenAI resource reads its key from.</summary>
    public const string ApiKeyHeader = "api-key";

    private readonly string? _key;

    private EndpointCredential(EndpointCredentialKind kind, string setting, string? header, string? key, EntraTokenCache? tokens)
    {
        Kind = kind;
        Setting = setting;
        Header = header;
        _key = key;
        Tokens = tokens;
    }

    public EndpointCredentialKind Kind { get; }

    /// <summary>
    /// The setting that decides this credential, as a configuration path: the scope's
    /// (<c>SecureOpenAI:Endpoints:1:Scope</c>, or <c>SecureOpenAI:Credential:Scope</c> when the endpoint
    /// has none of its own) or the key's (<c>SecureOpenAI:SubscriptionKey</c>, ...).
    /// </summary>
    public string Setting { get; }

    /// <summary>The header a key goes in; <see langword="null"/> for a token.</summary>
    public string? Header { get; }

    /// <summary>The token cache of the endpoint's scope; <see langword="null"/> for a key.</summary>
    public EntraTokenCache? Tokens { get; }

    /// <summary>The scope tokens are asked for; <see langword="null"/> for a key.</summary>
    public string? Scope => Tokens?.Scope;

    public static EndpointCredential Token(EntraTokenCache tokens, string scopeSetting) =>
        new(EndpointCredentialKind.EntraToken, scopeSetting, null, null, tokens);

    public static EndpointCredential ApiKey(string key, string keySetting) =>
        new(EndpointCredentialKind.ApiKey, keySetting, ApiKeyHeader, key, null);

    public static EndpointCredential SubscriptionKey(string key, string header, string keySetting) =>
        new(EndpointCredentialKind.SubscriptionKey, keySetting, header, key, null);

    /// <summary>Puts the key in its header, replacing any value there. Does nothing for a token credential.</summary>
    public void ApplyKey(HttpRequestMessage request)
    {
        if (_key is not null && Header is not null)
        {
            request.Headers.Remove(Header);
            request.Headers.TryAddWithoutValidation(Header, _key);
        }
    }

    /// <summary>How the endpoint authenticates, in words, for logs and errors; never the secret.</summary>
    public override string ToString() => Kind switch
    {
        EndpointCredentialKind.EntraToken => $"token for scope '{Scope}'",
        EndpointCredentialKind.ApiKey => "API key (api-key header)",
        _ => $"subscription key ({Header} header)",
    };
}
