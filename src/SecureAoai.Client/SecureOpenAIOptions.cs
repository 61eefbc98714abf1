using System.ComponentModel.DataAnnotations;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client;

/// <summary>
/// Settings for <c>AddSecureOpenAI</c>, bound from the <c>SecureOpenAI</c> configuration section.
/// </summary>
/// <example>
/// <code>
/// "SecureOpenAI": {
///   "Endpoint": "https://contoso-east.openai.azure.com/",
///   "Deployments": { "chat": { "Name": "gpt-4o-mini", "Kind": "Chat" } },
///   "Credential": { "Sources": [ "WorkloadIdentity", "ManagedIdentity" ] }
/// }
/// </code>
/// </example>
public sealed class SecureOpenAIOptions
{
    /// <summary>The configuration section the options are read from by default: <c>SecureOpenAI</c>.</summary>
    public const string SectionName = "SecureOpenAI";

    /// <summary>The header API Management reads a subscription key from unless an API names another: <c>Ocp-Apim-Subscription-Key</c>.</summary>
    public const string DefaultSubscriptionKeyHeader = "Ocp-Apim-Subscription-Key";

    /// <summary>
    /// The resource endpoint with its custom subdomain, such as <c>https://NAME.openai.azure.com/</c>,
    /// or a gateway in front of it with its path prefix, such as
    /// <c>https://contoso-apim.azure-api.net/aoai/</c> (API Management's API URL suffix) or a Front Door
    /// endpoint; requests keep the prefix on both URL styles. Only https is accepted, with no query
    /// string. A loopback endpoint (the emulator) may be trusted through
    /// <see cref="TrustedCaCertificatePath"/>. There is no default; this or <see cref="Endpoints"/> is required.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Several resources to fail over between, instead of <see cref="Endpoint"/>: each with a name,
    /// a priority, a weight and its own deployment names. The default value is empty.
    /// </summary>
    public List<SecureOpenAIEndpoint> Endpoints { get; set; } = [];

    /// <summary>How requests move between endpoints: timeouts, cooldowns, the circuit breaker. See <see cref="SecureOpenAIFailoverOptions"/>.</summary>
    public SecureOpenAIFailoverOptions Failover { get; set; } = new();

    /// <summary>
    /// The model deployments the app uses, keyed by the name the app resolves them with
    /// (<c>[FromKeyedServices("chat")] ChatClient</c>). When exactly one deployment of a kind is
    /// configured, an unkeyed <c>ChatClient</c> or <c>EmbeddingClient</c> is available too.
    /// The default value is empty: only <c>OpenAIClient</c> is registered.
    /// </summary>
    public Dictionary<string, SecureOpenAIDeployment> Deployments { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// When set, requests use the classic URL style
    /// <c>/openai/deployments/{deployment}/...?api-version=VALUE</c>. The default value is
    /// <see langword="null"/>: the v1 API at <c>/openai/v1/</c>, which needs no api-version.
    /// </summary>
    public string? ApiVersion { get; set; }

    /// <summary>How the app authenticates with Entra ID. The default is the standard chain, see <see cref="SecureOpenAICredentialOptions"/>.</summary>
    public SecureOpenAICredentialOptions Credential { get; set; } = new();

    /// <summary>
    /// An API key for the <c>api-key</c> header. Refused at start-up unless <see cref="AllowApiKey"/>
    /// is <see langword="true"/>; Entra ID is the supported way in. The default value is <see langword="null"/>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Whether <see cref="ApiKey"/> may be used. When allowed, a warning is logged at start in
    /// Production. The default value is <see langword="false"/>.
    /// </summary>
    public bool AllowApiKey { get; set; }

    /// <summary>
    /// A gateway subscription key (API Management), sent in <see cref="SubscriptionKeyHeader"/> to
    /// every endpoint without a key of its own, instead of an Entra ID token. Refused at start-up
    /// unless <see cref="AllowSubscriptionKey"/> is <see langword="true"/>: like an API key, it is a
    /// static secret. The default value is <see langword="null"/>.
    /// </summary>
    public string? SubscriptionKey { get; set; }

    /// <summary>
    /// The header a subscription key is sent in: <c>Ocp-Apim-Subscription-Key</c> (API Management's
    /// default) or <c>api-key</c> (what API Management sets for an API imported from Azure OpenAI),
    /// or the name the API's subscription settings give. The default value is
    /// <see cref="DefaultSubscriptionKeyHeader"/>.
    /// </summary>
    public string SubscriptionKeyHeader { get; set; } = DefaultSubscriptionKeyHeader;

    /// <summary>
    /// Whether <see cref="SubscriptionKey"/> and endpoints' subscription keys may be used. When allowed,
    /// a warning is logged at start in Production. The default value is <see langword="false"/>.
    /// </summary>
    public bool AllowSubscriptionKey { get; set; }

    /// <summary>
    /// A PEM file holding a CA certificate to trust (the emulator's test CA), honoured only on a
    /// connection whose socket is connected to a loopback address (127.0.0.0/8, ::1), whatever name
    /// led there; on a connector's stream, only when the host name itself is <c>localhost</c> or a
    /// loopback address. Every other connection is validated against the system's trust store. The
    /// default value is <see langword="null"/>.
    /// </summary>
    public string? TrustedCaCertificatePath { get; set; }

    /// <summary>
    /// How long one network read may wait: a streamed response silent for longer is cut. The
    /// pipeline uses at least <see cref="SecureOpenAIFailoverOptions.TotalTimeout"/>, so it never
    /// cuts failover short. The default value is 100 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "SecureOpenAI:NetworkTimeout must be between 1 second and 1 hour.")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How many more attempts a throttled or failed request gets, across all endpoints (the hedging
    /// strategy's hedged attempts; 0 turns failover off). The default value is 3.
    /// </summary>
    [Range(0, 10, ErrorMessage = "SecureOpenAI:MaxRetries must be between 0 and 10.")]
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// The longest an endpoint is kept out after a throttle, whatever its retry headers ask (Azure
    /// has answered with 24 hours), and the longest the SDK waits when every endpoint is cooling. A
    /// request whose every endpoint asked for more fails at once, listing the attempts. The default
    /// value is 60 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "SecureOpenAI:MaxRetryAfter must be between 0 and 10 minutes.")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How the endpoint's name is resolved and which addresses it may be reached at. The default
    /// is the system resolver and <see cref="NetworkPolicy.RequirePrivate"/>, see <see cref="SecureOpenAINetworkOptions"/>.
    /// </summary>
    public SecureOpenAINetworkOptions Network { get; set; } = new();

    /// <summary>
    /// A connector for endpoints reached other than by TCP, set with <c>UseConnector</c>. The
    /// default value is <see langword="null"/>: every endpoint is resolved and connected by TCP.
    /// </summary>
    public SecureOpenAIConnector? Connector { get; set; }
}
