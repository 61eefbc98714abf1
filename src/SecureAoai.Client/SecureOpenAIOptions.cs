using System.ComponentModel.DataAnnotations;
using SecureAoai.Client.Credentials;

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

    /// <summary>
    /// The resource endpoint with its custom subdomain, such as <c>https://NAME.openai.azure.com/</c>.
    /// Only https is accepted. A loopback endpoint (the emulator) may be trusted through
    /// <see cref="TrustedCaCertificatePath"/>. There is no default; the setting is required.
    /// </summary>
    [Required(ErrorMessage = "SecureOpenAI:Endpoint is missing. Set it to your resource's custom-subdomain endpoint, for example https://NAME.openai.azure.com/.")]
    public Uri? Endpoint { get; set; }

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
    /// A PEM file holding a CA certificate to trust, for a loopback endpoint or authority host only
    /// (the emulator's test CA). Public endpoints are always validated against the system's trust
    /// store. The default value is <see langword="null"/>.
    /// </summary>
    public string? TrustedCaCertificatePath { get; set; }

    /// <summary>
    /// How long one network call may take before it is abandoned. The default value is 100 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "SecureOpenAI:NetworkTimeout must be between 1 second and 1 hour.")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// How many times a throttled or failed request is retried against the endpoint.
    /// The default value is 3.
    /// </summary>
    [Range(0, 10, ErrorMessage = "SecureOpenAI:MaxRetries must be between 0 and 10.")]
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// The longest wait a <c>Retry-After</c> answer may impose before a retry; a longer one fails the
    /// request instead of hanging it (Azure has answered with 24 hours). The default value is 60 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "SecureOpenAI:MaxRetryAfter must be between 0 and 10 minutes.")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);
}
