using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using SecureAoai.Client.Credentials.Internal;

// The AuthenticationPolicy constructors are the OpenAI library's way to plug in authentication,
// marked as evaluation API (OPENAI001). Ours adds nothing: the transport authenticates each attempt
// for the endpoint failover chose. The alternative, an ApiKeyCredential whose header the transport
// replaces, would put a fake secret on the wire path; a signature change in a future OpenAI version
// is the smaller risk and is caught by the build.
#pragma warning disable OPENAI001

namespace SecureAoai.Client.Internal;

/// <summary>
/// Hands out the OpenAI clients, all on one secured transport (<see cref="SecureOpenAITransport"/>),
/// which authenticates each attempt with the chosen endpoint's own credential (so one token cache per scope).
/// </summary>
internal sealed class SecureOpenAIClientFactory
{
    private readonly SecureOpenAIOptions _options;
    private readonly SecureOpenAITransport _transport;
    private readonly ApiVersionPolicy? _apiVersionPolicy;
    private readonly Uri _resourceRoot;
    private readonly Dictionary<string, ChatClient> _chatClients = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, EmbeddingClient> _embeddingClients = new(StringComparer.OrdinalIgnoreCase);

    public SecureOpenAIClientFactory(
        IOptions<SecureOpenAIOptions> options,
        SecureOpenAITransport transport,
        ILoggerFactory? loggerFactory = null)
    {
        _options = options.Value;
        _transport = transport;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SecureAoai.Client");
        _resourceRoot = transport.Endpoints.Primary.BaseUri;

        Chain = transport.Authentication.Chain;
        Authentication = transport.Endpoints.DescribeAuthentication(Chain);
        AuthenticationPolicy = TransportAuthenticationPolicy.Instance;
        var refusals = new RefusalPolicy(logger);
        // Never shorter than the failover budget, or the pipeline would cut failover short.
        var networkTimeout = _options.NetworkTimeout > _options.Failover.TotalTimeout ? _options.NetworkTimeout : _options.Failover.TotalTimeout;
        Pipeline = new SecureOpenAIPipeline(_resourceRoot, transport.PipelineTransport, refusals, networkTimeout);
        _apiVersionPolicy = _options.ApiVersion is { Length: > 0 } version ? new ApiVersionPolicy(version) : null;
        OpenAIClient = new OpenAIClient(AuthenticationPolicy, ClientOptions(V1Endpoint));

        foreach (var (name, deployment) in _options.Deployments)
        {
            if (deployment.Kind == SecureOpenAIDeploymentKind.Chat)
            {
                _chatClients[name] = new ChatClient(deployment.Name, AuthenticationPolicy, ClientOptions(DeploymentEndpoint(deployment.Name)));
            }
            else
            {
                _embeddingClients[name] = new EmbeddingClient(deployment.Name, AuthenticationPolicy, ClientOptions(DeploymentEndpoint(deployment.Name)));
            }
        }
    }

    public OpenAIClient OpenAIClient { get; }

    /// <summary>The OpenAI clients' authentication policy: adds nothing, since the transport authenticates each attempt.</summary>
    public AuthenticationPolicy AuthenticationPolicy { get; }

    /// <summary>The secured path for other System.ClientModel clients; the OpenAI clients are built on it too.</summary>
    public SecureOpenAIPipeline Pipeline { get; }

    /// <summary>The token caches, one per scope in use, shared by every client; empty when every endpoint uses a key.</summary>
    internal IReadOnlyCollection<EntraTokenCache> TokenCaches => _transport.Authentication.TokenCaches;

    /// <summary>The credential chain, or <see langword="null"/> when every endpoint uses a key.</summary>
    public CredentialChain? Chain { get; }

    /// <summary>How requests authenticate, for the start-up log; never the secret itself.</summary>
    public string Authentication { get; }

    public Uri Endpoint => _resourceRoot;

    public string UrlStyle => _options.ApiVersion is { Length: > 0 } v ? $"deployments, api-version {v}" : "v1";

    private Uri V1Endpoint => new(_resourceRoot, "openai/v1/");

    public ChatClient GetChatClient(string? key) => _chatClients[ChatKey(key, nameof(ChatClient))];

    public EmbeddingClient GetEmbeddingClient(string? key) => _embeddingClients[EmbeddingKey(key, nameof(EmbeddingClient))];

    /// <summary>The configured key of the chat deployment <paramref name="key"/> names, or of the only one when it is <see langword="null"/>.</summary>
    /// <param name="key">A deployment key, or <see langword="null"/> for the only chat deployment.</param>
    /// <param name="type">The type being injected, for the error message.</param>
    /// <exception cref="InvalidOperationException">No such chat deployment, or none or several when <paramref name="key"/> is <see langword="null"/>.</exception>
    public string ChatKey(string? key, string type) => Key(_chatClients, key, "chat", type);

    /// <summary>As <see cref="ChatKey"/>, for embedding deployments.</summary>
    public string EmbeddingKey(string? key, string type) => Key(_embeddingClients, key, "embedding", type);

    /// <summary>
    /// Options for one client, on <see cref="Pipeline"/>: every client shares the transport (and so
    /// the per-attempt authentication with one token cache per scope), no retry of its own, the
    /// network timeout and the refusal policy.
    /// </summary>
    private OpenAIClientOptions ClientOptions(Uri endpoint)
    {
        var options = new OpenAIClientOptions { Endpoint = endpoint };
        Pipeline.Apply(options);
        if (_apiVersionPolicy is not null)
        {
            options.AddPolicy(_apiVersionPolicy, PipelinePosition.PerCall);
        }

        return options;
    }

    /// <summary>The classic style names the deployment in the path; ApiVersionPolicy adds the version.</summary>
    private Uri DeploymentEndpoint(string deployment) =>
        _apiVersionPolicy is null ? V1Endpoint : new Uri(_resourceRoot, $"openai/deployments/{Uri.EscapeDataString(deployment)}/");

    private static string Key<T>(Dictionary<string, T> clients, string? key, string kind, string type)
    {
        if (key is not null)
        {
            return clients.ContainsKey(key)
                ? key
                : throw new InvalidOperationException(
                    $"No {kind} deployment named '{key}' is configured. Configured: {Names(clients)}. Add it under SecureOpenAI:Deployments:{key} with its Name and \"Kind\": \"{(kind == "chat" ? "Chat" : "Embedding")}\".");
        }

        return clients.Count switch
        {
            1 => clients.Keys.First(),
            0 => throw new InvalidOperationException(
                $"No {kind} deployment is configured, so there is no {type} to inject. Add one under SecureOpenAI:Deployments, for example \"{kind}\": {{ \"Name\": \"DEPLOYMENT\", \"Kind\": \"{(kind == "chat" ? "Chat" : "Embedding")}\" }}."),
            _ => throw new InvalidOperationException(
                $"{clients.Count} {kind} deployments are configured ({Names(clients)}); inject one by its key, for example [FromKeyedServices(\"{clients.Keys.First()}\")] {type}."),
        };
    }

    private static string Names<T>(Dictionary<string, T> clients) => clients.Count == 0 ? "none" : string.Join(", ", clients.Keys);
}
