using SecureAoai.Emulator.Internal.Gateway;

namespace SecureAoai.Emulator;

/// <summary>
/// A running emulated API Management gateway: HTTPS on 127.0.0.1, an API under
/// <see cref="PathPrefix"/> that passes requests to a pool of emulated instances. Two gateways with
/// their own prefixes stand for two regions behind Front Door.
/// </summary>
/// <example>
/// <code>
/// EmulatorGateway gateway = server.Gateway("apim-east");
/// var endpoint = gateway.Endpoint;   // https://localhost:PORT/aoai/ : the app's SecureOpenAI:Endpoint
/// </code>
/// </example>
public sealed class EmulatorGateway
{
    private readonly GatewayProxy _proxy;

    internal EmulatorGateway(EmulatorGatewayOptions options, GatewayProxy proxy, int port)
    {
        _proxy = proxy;
        Name = options.Name;
        Port = port;
        SubscriptionKey = options.SubscriptionKey;
        SubscriptionKeyHeader = options.SubscriptionKeyHeader;
        SubscriptionRequired = options.SubscriptionRequired;
        Audience = options.Audience;
        ManagedIdentity = options.ManagedIdentity;
    }

    /// <summary>The gateway's name.</summary>
    public string Name { get; }

    /// <summary>The TCP port the gateway listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The API's URL suffix, with a leading slash and no trailing one, such as <c>/aoai</c>.</summary>
    public string PathPrefix => _proxy.PathPrefix;

    /// <summary>
    /// The address an app configures, <c>https://localhost:PORT/aoai/</c>: both URL styles work under
    /// it (<c>openai/v1/...</c> and <c>openai/deployments/{d}/...?api-version=</c>).
    /// </summary>
    public Uri Endpoint => new($"https://localhost:{Port}{PathPrefix}/");

    /// <summary>The subscription key the gateway accepts.</summary>
    public string SubscriptionKey { get; }

    /// <summary>The header the key is read from.</summary>
    public string SubscriptionKeyHeader { get; }

    /// <summary>Whether a subscription key is required.</summary>
    public bool SubscriptionRequired { get; }

    /// <summary>The audience tokens must be for, or <see langword="null"/> when the gateway checks no token.</summary>
    public string? Audience { get; }

    /// <summary>The identity the gateway calls its backends with.</summary>
    public EmulatorIdentity ManagedIdentity { get; }

    /// <summary>The instances of the backend pool, in round-robin order.</summary>
    public IReadOnlyList<EmulatorInstance> Backends => _proxy.Pool.Instances;

    /// <summary>The number of requests the gateway received, refused ones included.</summary>
    public int RequestCount => _proxy.RequestCount;

    /// <summary>Whether the circuit of one backend is open (it failed and its wait has not run out on the server's clock).</summary>
    /// <param name="instanceName">The backend instance's name.</param>
    /// <exception cref="KeyNotFoundException">The instance is not in this gateway's pool.</exception>
    public bool IsCircuitOpen(string instanceName) =>
        _proxy.Pool.IsOpen(Backends.FirstOrDefault(b => string.Equals(b.Name, instanceName, StringComparison.OrdinalIgnoreCase))
            ?? throw new KeyNotFoundException($"Gateway '{Name}' has no backend '{instanceName}'. Its backends are: {string.Join(", ", Backends.Select(b => b.Name))}."));
}
