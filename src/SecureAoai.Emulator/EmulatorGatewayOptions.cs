using System.Security.Cryptography;

namespace SecureAoai.Emulator;

/// <summary>
/// Settings of one emulated API Management gateway in front of emulated Azure OpenAI instances: its
/// own HTTPS listener (certificate from the test CA), an API under <see cref="PathPrefix"/>, a
/// subscription key and/or token validation for its own audience, and a backend pool with a circuit
/// breaker per backend that it calls with its own managed identity.
/// </summary>
/// <example>
/// <code>
/// options.Gateways.Add(new EmulatorGatewayOptions
/// {
///     Name = "apim-east", PathPrefix = "/aoai", Backends = { "eastus", "eastus2" },
///     SubscriptionRequired = false, Audience = "api://contoso-aoai-gateway",
/// });
/// </code>
/// </example>
public sealed class EmulatorGatewayOptions
{
    /// <summary>The header API Management reads a subscription key from unless an API names another.</summary>
    public const string DefaultSubscriptionKeyHeader = "Ocp-Apim-Subscription-Key";

    /// <summary>The gateway's name, in logs and in <see cref="EmulatorServer.Gateway"/>. The default value is <c>apim</c>.</summary>
    public string Name { get; set; } = "apim";

    /// <summary>The TCP port on 127.0.0.1. The default value is 0: an ephemeral port.</summary>
    public int Port { get; set; }

    /// <summary>
    /// The API's URL suffix: requests under it go to the backends with it removed
    /// (<c>/aoai/openai/v1/chat/completions</c> → <c>/openai/v1/chat/completions</c>); anything else is
    /// answered 404. Starts with a slash. The default value is <c>/aoai</c>.
    /// </summary>
    public string PathPrefix { get; set; } = "/aoai";

    /// <summary>
    /// The names of the instances in the backend pool, tried round-robin. The default value is
    /// empty: every instance of the server.
    /// </summary>
    public List<string> Backends { get; } = new();

    /// <summary>
    /// Host names the gateway's certificate covers besides <c>localhost</c>, 127.0.0.1 and ::1, such
    /// as <c>contoso-apim.azure-api.net</c> when a test DNS server points that name at the gateway.
    /// The default value is empty.
    /// </summary>
    public List<string> HostNames { get; } = new();

    /// <summary>
    /// Whether the API requires a subscription key (API Management's default for an API). The
    /// default value is <see langword="true"/>.
    /// </summary>
    public bool SubscriptionRequired { get; set; } = true;

    /// <summary>The subscription key accepted. The default value is 32 random hex characters.</summary>
    public string SubscriptionKey { get; set; } = RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary>The header the key is read from. The default value is <see cref="DefaultSubscriptionKeyHeader"/>.</summary>
    public string SubscriptionKeyHeader { get; set; } = DefaultSubscriptionKeyHeader;

    /// <summary>
    /// The audience of the gateway's token validation (a validate-jwt policy): when set, a request
    /// needs an Entra ID token from the emulator's token service for this audience, such as
    /// <c>api://contoso-aoai-gateway</c>. The default value is <see langword="null"/>: no token is checked.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>
    /// The gateway's own managed identity, whose token (for Azure OpenAI's audience) it sends to the
    /// backends, as API Management's authentication-managed-identity policy does; whatever credential
    /// the caller sent is not passed on. The default value is an identity with a random client id and
    /// the OpenAI user role.
    /// </summary>
    public EmulatorIdentity ManagedIdentity { get; set; } = new() { ClientId = Guid.NewGuid().ToString() };

    /// <summary>
    /// How long a backend's circuit stays open after it answered 429 or 5xx (or could not be
    /// reached), when its answer names no <c>Retry-After</c> or <see cref="AcceptRetryAfter"/> is
    /// off. The default value is 60 seconds.
    /// </summary>
    public TimeSpan BreakerTripDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether a backend's <c>Retry-After</c> sets how long its circuit stays open (the circuit
    /// breaker rule's <c>acceptRetryAfter</c>). The default value is <see langword="true"/>.
    /// </summary>
    public bool AcceptRetryAfter { get; set; } = true;
}
