using System.ClientModel.Primitives;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client;

/// <summary>
/// The secured request path that <c>AddSecureOpenAI</c> builds, for a client library built on
/// System.ClientModel other than the OpenAI client (such as Azure.AI.OpenAI's
/// <c>AzureOpenAIClient</c>, which the SecureAoai.Client.AzureOpenAI package wires with it). A
/// pipeline made here sends through the same transport as the OpenAI clients (failover, the
/// network policy, certificate checks, the connector, and authentication of each attempt with the
/// credential of the endpoint failover chose: a token from the one cache of that endpoint's scope,
/// refreshed ahead of expiry, or its key), explains refusals with a <see cref="SecureOpenAIException"/>,
/// and has no retry policy of its own, so no request is retried by two layers.
/// </summary>
/// <remarks>
/// Resolve it from the service provider that <c>AddSecureOpenAI</c> registered it in; it lives as
/// long as that provider. A client made on it must address <see cref="Endpoint"/>: failover moves
/// each request from there to the endpoint it picks, with that endpoint's deployment names.
/// </remarks>
/// <example>
/// <code>
/// var secured = services.GetRequiredService&lt;SecureOpenAIPipeline&gt;();
/// var options = new SomeClientOptions();
/// var client = new SomeClient(secured.Create(options), secured.Endpoint, options);
/// </code>
/// </example>
public sealed class SecureOpenAIPipeline
{
    private readonly PipelineTransport _transport;
    private readonly PipelinePolicy _refusals;
    private readonly TimeSpan _networkTimeout;

    internal SecureOpenAIPipeline(Uri endpoint, PipelineTransport transport, PipelinePolicy refusals, TimeSpan networkTimeout)
    {
        Endpoint = endpoint;
        _transport = transport;
        _refusals = refusals;
        _networkTimeout = networkTimeout;
    }

    /// <summary>
    /// The base URI a client addresses: the first endpoint of the best priority (for example
    /// <c>https://contoso-east.openai.azure.com/</c>), or the one configured <c>Endpoint</c>.
    /// </summary>
    public Uri Endpoint { get; }

    /// <summary>
    /// Creates a pipeline on the secured path. Sets <paramref name="options"/>'
    /// <see cref="ClientPipelineOptions.Transport"/> (the shared one, owned by the service provider),
    /// <see cref="ClientPipelineOptions.RetryPolicy"/> (none: failover is the only layer that
    /// retries) and <see cref="ClientPipelineOptions.NetworkTimeout"/> (<c>SecureOpenAI:NetworkTimeout</c>,
    /// never shorter than the failover budget); then adds the refusal explanations per call, around
    /// the policies already added to <paramref name="options"/>. It adds no authentication policy:
    /// the transport authenticates each attempt for the endpoint failover chose, and drops any
    /// <c>Authorization</c>, <c>api-key</c> or subscription key header a policy of the client's set.
    /// </summary>
    /// <param name="options">The client's options; frozen by the call, so pass the same instance to the client.</param>
    /// <returns>The pipeline, to hand to the client's constructor.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="options"/> is already frozen (used by another pipeline).</exception>
    public ClientPipeline Create(ClientPipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Apply(options);
        return ClientPipeline.Create(options, perCallPolicies: [], perTryPolicies: [], beforeTransportPolicies: []);
    }

    /// <summary>The same, for the OpenAI clients, which make their pipeline themselves (with an authentication policy that adds nothing).</summary>
    internal void Apply(ClientPipelineOptions options)
    {
        options.Transport = _transport;
        options.RetryPolicy = SecureOpenAITransport.RetryPolicy;
        options.NetworkTimeout = _networkTimeout;
        // Per call, outside failover and the per-attempt 401 refresh: it sees the final answer.
        options.AddPolicy(_refusals, PipelinePosition.PerCall);
    }
}
