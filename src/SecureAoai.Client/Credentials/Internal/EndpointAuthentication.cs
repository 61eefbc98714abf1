using Microsoft.Extensions.Logging;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// The one owner of "what does each endpoint get to authenticate": the credential chain, one token
/// cache per scope, and each endpoint's <see cref="EndpointCredential"/>. The rule that picks an
/// endpoint's credential (<see cref="Choose"/>) is the one the start-up validator checks, so what is
/// validated is what is sent.
/// </summary>
/// <remarks>
/// Authentication happens per attempt, below failover (see <c>EndpointAuthenticationHandler</c>): the
/// OpenAI pipeline runs before the endpoint is chosen, so it cannot know which audience a request
/// will need. An endpoint only ever gets a token from the cache of its own scope.
/// </remarks>
internal sealed class EndpointAuthentication
{
    private readonly SecureOpenAIOptions _options;
    private readonly Func<CredentialChain> _createChain;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, EntraTokenCache> _caches = new(StringComparer.Ordinal);
    private CredentialChain? _chain;

    private EndpointAuthentication(SecureOpenAIOptions options, Func<CredentialChain> createChain, ILogger logger, TimeProvider time)
    {
        _options = options;
        _createChain = createChain;
        _logger = logger;
        _time = time;
    }

    /// <summary>The credential chain, or <see langword="null"/> when no endpoint authenticates with Entra ID.</summary>
    public CredentialChain? Chain => _chain;

    /// <summary>Every token cache, one per distinct scope in use, in the order endpoints first asked for them.</summary>
    public IReadOnlyCollection<EntraTokenCache> TokenCaches => _caches.Values;

    /// <summary>Authentication for validated options. The credential chain is built only if some endpoint needs a token.</summary>
    public static EndpointAuthentication Create(SecureOpenAIOptions options, EndpointTrust trust, bool isDevelopment, ILogger logger, TimeProvider time)
    {
        CredentialChain CreateChain()
        {
            IReadOnlyList<NamedCredential> credentials = options.Credential.TokenCredential is { } custom
                ? [new NamedCredential(custom.GetType().Name, custom)]
                : CredentialChainFactory.Create(options.Credential, trust, isDevelopment);
            return new CredentialChain(credentials, logger);
        }

        return new EndpointAuthentication(options, CreateChain, logger, time);
    }

    /// <summary>
    /// Which credential one endpoint uses, and from which setting: an API key when the app uses keys
    /// (the endpoint's own, else <c>SecureOpenAI:ApiKey</c>); else a subscription key when one applies
    /// (the endpoint's own, else <c>SecureOpenAI:SubscriptionKey</c>, in the endpoint's header, else
    /// <c>SecureOpenAI:SubscriptionKeyHeader</c>); else an Entra ID token for the endpoint's
    /// <c>Scope</c>, else <c>SecureOpenAI:Credential:Scope</c>.
    /// </summary>
    /// <param name="options">The options.</param>
    /// <param name="endpoint">The endpoint's settings; for <see cref="SecureOpenAIOptions.Endpoint"/>, one with none of its own.</param>
    /// <param name="prefix">The endpoint's configuration path: <c>SecureOpenAI:Endpoints:1</c>, or <c>SecureOpenAI</c> for the one <c>Endpoint</c>.</param>
    public static CredentialChoice Choose(SecureOpenAIOptions options, SecureOpenAIEndpoint endpoint, string prefix)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return string.IsNullOrEmpty(endpoint.ApiKey)
                ? new(EndpointCredentialKind.ApiKey, $"{SecureOpenAIOptions.SectionName}:ApiKey", options.ApiKey, EndpointCredential.ApiKeyHeader)
                : new(EndpointCredentialKind.ApiKey, $"{prefix}:ApiKey", endpoint.ApiKey, EndpointCredential.ApiKeyHeader);
        }

        var header = string.IsNullOrEmpty(endpoint.SubscriptionKeyHeader) ? options.SubscriptionKeyHeader : endpoint.SubscriptionKeyHeader;
        if (!string.IsNullOrEmpty(endpoint.SubscriptionKey))
        {
            return new(EndpointCredentialKind.SubscriptionKey, $"{prefix}:SubscriptionKey", endpoint.SubscriptionKey, header);
        }

        if (!string.IsNullOrEmpty(options.SubscriptionKey))
        {
            return new(EndpointCredentialKind.SubscriptionKey, $"{SecureOpenAIOptions.SectionName}:SubscriptionKey", options.SubscriptionKey, header);
        }

        return string.IsNullOrEmpty(endpoint.Scope)
            ? new(EndpointCredentialKind.EntraToken, $"{SecureOpenAIOptions.SectionName}:Credential:Scope", options.Credential.Scope, null)
            : new(EndpointCredentialKind.EntraToken, $"{prefix}:Scope", endpoint.Scope, null);
    }

    /// <summary>The credential of one endpoint (see <see cref="Choose"/>); endpoints of one scope share its token cache.</summary>
    public EndpointCredential For(SecureOpenAIEndpoint endpoint, string prefix)
    {
        var choice = Choose(_options, endpoint, prefix);
        switch (choice.Kind)
        {
            case EndpointCredentialKind.ApiKey:
                return EndpointCredential.ApiKey(choice.Value, choice.Setting);
            case EndpointCredentialKind.SubscriptionKey:
                return EndpointCredential.SubscriptionKey(choice.Value, choice.Header!, choice.Setting);
            default:
                _chain ??= _createChain();
                if (!_caches.TryGetValue(choice.Value, out var cache))
                {
                    cache = new EntraTokenCache(_chain, choice.Value, _logger, _time);
                    _caches.Add(choice.Value, cache);
                }

                return EndpointCredential.Token(cache, choice.Setting);
        }
    }
}

/// <summary>
/// The credential settings in effect for one endpoint (<see cref="EndpointAuthentication.Choose"/>).
/// <see cref="Value"/> is the scope of a token, or the key itself: <see cref="ToString"/> never shows it.
/// </summary>
/// <param name="Kind">How the endpoint authenticates.</param>
/// <param name="Setting">The configuration path of the setting that decided it.</param>
/// <param name="Value">The scope, or the key.</param>
/// <param name="Header">The key's header; <see langword="null"/> for a token.</param>
internal readonly record struct CredentialChoice(EndpointCredentialKind Kind, string Setting, string Value, string? Header)
{
    /// <summary>The kind and setting, never a key.</summary>
    public override string ToString() => $"{Kind} from {Setting}";
}
