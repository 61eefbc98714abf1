using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Networking.Internal;

// The AuthenticationPolicy constructors are the OpenAI library's way to plug in token
// authentication, marked as evaluation API (OPENAI001). The alternative, an ApiKeyCredential whose
// header a later policy overwrites, would put a fake secret on the wire path; a signature change
// in a future OpenAI version is the smaller risk and is caught by the build.
#pragma warning disable OPENAI001

namespace SecureAoai.Client.Internal;

/// <summary>
/// Builds one pipeline (transport, retry, authentication, diagnosis) from validated options and
/// hands out the OpenAI clients that share it.
/// </summary>
internal sealed class SecureOpenAIClientFactory : IDisposable
{
    private readonly SecureOpenAIOptions _options;
    private readonly EndpointTrust _trust;
    private readonly HttpClient _httpClient;
    private readonly HttpClientPipelineTransport _transport;
    private readonly ClientRetryPolicy _retryPolicy;
    private readonly RefusalPolicy _refusalPolicy;
    private readonly ApiVersionPolicy? _apiVersionPolicy;
    private readonly Uri _resourceRoot;
    private readonly Dictionary<string, ChatClient> _chatClients = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, EmbeddingClient> _embeddingClients = new(StringComparer.OrdinalIgnoreCase);

    public SecureOpenAIClientFactory(
        IOptions<SecureOpenAIOptions> options,
        ILoggerFactory? loggerFactory = null,
        IHostEnvironment? environment = null,
        SecureOpenAIRateLimits? rateLimits = null)
    {
        _options = options.Value;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SecureAoai.Client");
        _trust = EndpointTrust.FromOptions(_options.TrustedCaCertificatePath);

        // Each endpoint has its own resolver and network policy (EndpointGuard): every request is
        // checked against it first, and its connection opened only to the addresses that passed.
        Endpoints = CreateEndpoints(_options, logger);
        _resourceRoot = Endpoints.OrderBy(e => e.Priority).First().Root;
        // Endpoints are told apart by host and port: several emulated regions share one host.
        var guards = Endpoints.ToDictionary(e => e.Root.Authority, e => e.Guard, StringComparer.OrdinalIgnoreCase);
        var connector = _options.Connector;
        EndpointGuard? GuardFor(string host, int port) =>
            connector?.Handles(host, port) == true ? null
            : guards.TryGetValue(port == 443 ? host : $"{host}:{port}", out var guard) ? guard
            : throw new InvalidOperationException($"SecureOpenAI does not connect to {host}:{port}: it is not a configured endpoint.");
        if (_trust.HasExtraCa)
        {
            _trust.PinnedToLoopback = host => Endpoints.Any(e => string.Equals(e.Root.IdnHost, host, StringComparison.OrdinalIgnoreCase) && e.Guard.IsPinnedToLoopback(host));
        }

        var handler = _trust.CreateHandler();
        handler.ConnectCallback = (context, cancellationToken) =>
            GuardFor(context.DnsEndPoint.Host, context.DnsEndPoint.Port) is { } guard
                ? guard.ConnectAsync(context, cancellationToken)
                : connector!.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken);

        // Failover is the only retry layer: it sees each attempt's endpoint and answer, the
        // pipeline's own retry is off. HttpClient's timeout would cut long streams, so it is off too.
        var failover = new FailoverHandler(
            new EndpointSelector(Endpoints), _options.Failover, _options.MaxRetries, _options.MaxRetryAfter, rateLimits ?? new SecureOpenAIRateLimits(), logger,
            new GuardHandler(GuardFor, handler));
        _httpClient = new HttpClient(failover, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

        if (_options.ApiKey is { Length: > 0 } key)
        {
            Authentication = "api-key";
            AuthenticationPolicy = ApiKeyAuthenticationPolicy.CreateHeaderApiKeyPolicy(new ApiKeyCredential(key), "api-key");
        }
        else
        {
            var isDevelopment = environment?.IsDevelopment() ?? false;
            var credentials = _options.Credential.TokenCredential is { } custom
                ? [new NamedCredential(custom.GetType().Name, custom)]
                : CredentialChainFactory.Create(_options.Credential, _trust, isDevelopment);
            Chain = new CredentialChain(credentials, logger);
            Authentication = "Entra ID (" + string.Join(" → ", Chain.Names) + ")";
            TokenPolicy = new EntraTokenPolicy(Chain, _options.Credential.Scope, logger);
            AuthenticationPolicy = TokenPolicy;
        }

        _transport = new HttpClientPipelineTransport(_httpClient);
        _retryPolicy = new ClientRetryPolicy(maxRetries: 0);
        _refusalPolicy = new RefusalPolicy(_options.Credential.Scope, usesApiKey: TokenPolicy is null, logger);
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

    /// <summary>The endpoints requests may go to, in configuration order.</summary>
    public IReadOnlyList<FailoverEndpoint> Endpoints { get; }

    public AuthenticationPolicy AuthenticationPolicy { get; }

    /// <summary>The cached-token policy, or <see langword="null"/> with an API key.</summary>
    internal EntraTokenPolicy? TokenPolicy { get; }

    /// <summary>Whether a connector, not TCP, reaches <paramref name="endpoint"/>.</summary>
    internal bool UsesConnector(FailoverEndpoint endpoint) => _options.Connector?.Handles(endpoint.Root.IdnHost, endpoint.Root.Port) == true;

    /// <summary>The credential chain, or <see langword="null"/> with an API key.</summary>
    public CredentialChain? Chain { get; }

    /// <summary>How requests authenticate, for the start-up log; never the secret itself.</summary>
    public string Authentication { get; }

    public Uri Endpoint => _resourceRoot;

    public string UrlStyle => _options.ApiVersion is { Length: > 0 } v ? $"deployments, api-version {v}" : "v1";

    private Uri V1Endpoint => new(_resourceRoot, "openai/v1/");

    public ChatClient GetChatClient(string? key) => Get(_chatClients, key, "chat", "ChatClient");

    public EmbeddingClient GetEmbeddingClient(string? key) => Get(_embeddingClients, key, "embedding", "EmbeddingClient");

    public void Dispose()
    {
        _httpClient.Dispose();
        foreach (var endpoint in Endpoints)
        {
            endpoint.Guard.Dispose();
        }

        _trust.Dispose();
    }

    /// <summary>
    /// The configured endpoints, or the one <see cref="SecureOpenAIOptions.Endpoint"/> as a list of
    /// one named after its host; deployment names mapped from the default names.
    /// </summary>
    private static FailoverEndpoint[] CreateEndpoints(SecureOpenAIOptions options, ILogger logger)
    {
        var configured = options.Endpoints.Count > 0
            ? options.Endpoints
            : [new SecureOpenAIEndpoint { Name = options.Endpoint!.IdnHost, Uri = options.Endpoint }];
        return configured.Select(e =>
        {
            var network = e.Network ?? options.Network;
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, deployment) in options.Deployments)
            {
                if (e.Deployments.TryGetValue(key, out var here) && !string.IsNullOrEmpty(here))
                {
                    names[deployment.Name] = here;
                }
            }

            var guard = new EndpointGuard(HostResolverFactory.Create(network, TimeProvider.System), network.Policy, network.ConnectTimeout, logger);
            return new FailoverEndpoint(e.Name, ResourceRoot(e.Uri!), e.Priority, e.Weight, names, e.ApiKey, guard, options.Failover, TimeProvider.System);
        }).ToArray();
    }

    /// <summary>The resource root, accepting an endpoint pasted with its /openai/... path.</summary>
    internal static Uri ResourceRoot(Uri endpoint) => new(endpoint.GetLeftPart(UriPartial.Authority) + "/");

    /// <summary>
    /// Options for one client. Every client shares the transport, the retry policy and the
    /// authentication policy (so one token cache), which the OpenAI client places per try.
    /// </summary>
    private OpenAIClientOptions ClientOptions(Uri endpoint)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = _transport,
            RetryPolicy = _retryPolicy,
            // Never shorter than the failover budget, or the pipeline would cut failover short.
            NetworkTimeout = _options.NetworkTimeout > _options.Failover.TotalTimeout ? _options.NetworkTimeout : _options.Failover.TotalTimeout,
        };

        // Per call, outside retries and the token policy's own 401 retry: it sees the final answer.
        options.AddPolicy(_refusalPolicy, PipelinePosition.PerCall);
        if (_apiVersionPolicy is not null)
        {
            options.AddPolicy(_apiVersionPolicy, PipelinePosition.PerCall);
        }

        return options;
    }

    /// <summary>The classic style names the deployment in the path; ApiVersionPolicy adds the version.</summary>
    private Uri DeploymentEndpoint(string deployment) =>
        _apiVersionPolicy is null ? V1Endpoint : new Uri(_resourceRoot, $"openai/deployments/{Uri.EscapeDataString(deployment)}/");

    private static T Get<T>(Dictionary<string, T> clients, string? key, string kind, string type)
    {
        if (key is not null)
        {
            return clients.TryGetValue(key, out var client)
                ? client
                : throw new InvalidOperationException(
                    $"No {kind} deployment named '{key}' is configured. Configured: {Names(clients)}. Add it under SecureOpenAI:Deployments:{key} with its Name and \"Kind\": \"{(kind == "chat" ? "Chat" : "Embedding")}\".");
        }

        return clients.Count switch
        {
            1 => clients.Values.First(),
            0 => throw new InvalidOperationException(
                $"No {kind} deployment is configured, so there is no {type} to inject. Add one under SecureOpenAI:Deployments, for example \"{kind}\": {{ \"Name\": \"DEPLOYMENT\", \"Kind\": \"{(kind == "chat" ? "Chat" : "Embedding")}\" }}."),
            _ => throw new InvalidOperationException(
                $"{clients.Count} {kind} deployments are configured ({Names(clients)}); inject one by its key, for example [FromKeyedServices(\"{clients.Keys.First()}\")] {type}."),
        };
    }

    private static string Names<T>(Dictionary<string, T> clients) => clients.Count == 0 ? "none" : string.Join(", ", clients.Keys);
}
