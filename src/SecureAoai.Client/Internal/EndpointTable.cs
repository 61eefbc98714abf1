using Microsoft.Extensions.Logging;
using Polly.Telemetry;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The one owner of "which endpoints are there, and how is each one reached": for every configured
/// endpoint, its base URI, deployment names and key, and either its network guard (resolver and
/// policy) or the connector. The failover handlers find a request's endpoint here, and the connect
/// callback asks it how to open a connection; whether the connector handles an endpoint is decided
/// once, when the table is built.
/// </summary>
/// <remarks>
/// Endpoints are told apart by host and port (several emulated regions share one host), then by the
/// longest base path, so gateway endpoints that share a host but not a path prefix stay apart.
/// </remarks>
internal sealed class EndpointTable : IDisposable
{
    private readonly SecureOpenAIConnector? _connector;
    private HashSet<string>? _credentialHeaders;

    public EndpointTable(IReadOnlyList<FailoverEndpoint> endpoints, SecureOpenAIConnector? connector)
    {
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("At least one endpoint is needed.", nameof(endpoints));
        }

        Endpoints = endpoints;
        _connector = connector;
        Primary = endpoints.OrderBy(e => e.Priority).First();
    }

    /// <summary>The endpoints, in configuration order.</summary>
    public IReadOnlyList<FailoverEndpoint> Endpoints { get; }

    /// <summary>The first endpoint of the best priority: the one the OpenAI clients address; failover rewrites from it.</summary>
    public FailoverEndpoint Primary { get; }

    /// <summary>
    /// The table for validated options: the configured endpoints, or the one
    /// <see cref="SecureOpenAIOptions.Endpoint"/> as a list of one named after its host; each with its
    /// credential from <paramref name="authentication"/>.
    /// </summary>
    public static EndpointTable Create(SecureOpenAIOptions options, EndpointAuthentication authentication, TimeProvider time, ILogger logger, TelemetryOptions? telemetry = null)
    {
        var single = options.Endpoints.Count == 0;
        var configured = single
            ? [new SecureOpenAIEndpoint { Name = options.Endpoint!.IdnHost, Uri = options.Endpoint }]
            : options.Endpoints;
        var endpoints = configured.Select((e, index) =>
        {
            var setting = single ? SecureOpenAIOptions.SectionName : $"{SecureOpenAIOptions.SectionName}:Endpoints:{index}";
            var baseUri = BaseUri(e.Uri!);
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, deployment) in options.Deployments)
            {
                if (e.Deployments.TryGetValue(key, out var here) && !string.IsNullOrEmpty(here))
                {
                    names[deployment.Name] = here;
                }
            }

            // A host the connector reaches needs no resolver and no policy: the connector is the private path.
            EndpointGuard? guard = null;
            if (options.Connector?.Handles(baseUri.IdnHost, baseUri.Port) != true)
            {
                var network = e.Network ?? options.Network;
                var networkSetting = e.Network is null ? NetworkPolicyEvaluator.DefaultNetworkSetting : $"{setting}:Network";
                guard = new EndpointGuard(HostResolverFactory.Create(network, time), network.Policy, network.ConnectTimeout, logger, time, networkSetting);
            }

            var credential = authentication.For(e, setting);
            return new FailoverEndpoint(e.Name, setting, baseUri, e.Priority, e.Weight, names, credential, guard, options.Failover, time, telemetry);
        }).ToArray();
        return new EndpointTable(endpoints, options.Connector);
    }

    /// <summary>
    /// Every header that carries a credential to some endpoint (<c>Authorization</c>, <c>api-key</c>,
    /// the subscription key headers). A request arrives without them from above: each attempt gets
    /// only its own endpoint's (see <c>EndpointAuthenticationHandler</c>).
    /// </summary>
    public IReadOnlySet<string> CredentialHeaders => _credentialHeaders ??= new HashSet<string>(
        Endpoints.Select(e => e.Credential?.Header).OfType<string>()
            .Concat(["Authorization", EndpointCredential.ApiKeyHeader, SecureOpenAIOptions.DefaultSubscriptionKeyHeader]),
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How each endpoint authenticates, for the start-up log, never a secret: <c>Entra ID (WorkloadIdentity):
    /// token for scope '...'</c>, or per endpoint when they differ (<c>east: token for scope '...'; apim: subscription key (api-key header)</c>).
    /// </summary>
    public string DescribeAuthentication(CredentialChain? chain)
    {
        var chainText = chain is null ? "" : $"Entra ID ({string.Join(" → ", chain.Names)}): ";
        var distinct = Endpoints.Select(e => e.Credential?.ToString() ?? "none").Distinct().ToArray();
        return distinct.Length == 1
            ? chainText + distinct[0]
            : chainText + string.Join("; ", Endpoints.Select(e => $"{e.Name}: {e.Credential?.ToString() ?? "none"}"));
    }

    /// <summary>
    /// An endpoint's base URI: the configured one with any <c>/openai/...</c> pasted after the
    /// resource (or gateway) path removed, ending with a slash.
    /// </summary>
    public static Uri BaseUri(Uri configured)
    {
        var path = configured.AbsolutePath;
        var openai = path.IndexOf("/openai", StringComparison.OrdinalIgnoreCase);
        while (openai >= 0 && openai + 7 < path.Length && path[openai + 7] != '/')
        {
            openai = path.IndexOf("/openai", openai + 1, StringComparison.OrdinalIgnoreCase);
        }

        var prefix = (openai >= 0 ? path[..openai] : path).TrimEnd('/') + "/";
        return new Uri(configured.GetLeftPart(UriPartial.Authority) + prefix);
    }

    /// <summary>The endpoint a request URI addresses: same host and port, longest base path that starts its path.</summary>
    /// <remarks>On every attempt's path: a scan of a short list, no allocation.</remarks>
    public FailoverEndpoint? Find(Uri uri)
    {
        FailoverEndpoint? found = null;
        var host = uri.IdnHost;
        var path = uri.AbsolutePath;
        for (var i = 0; i < Endpoints.Count; i++)
        {
            var endpoint = Endpoints[i];
            if (IsAt(endpoint, host, uri.Port)
                && path.StartsWith(endpoint.BaseUri.AbsolutePath, StringComparison.OrdinalIgnoreCase)
                && (found is null || endpoint.BaseUri.AbsolutePath.Length > found.BaseUri.AbsolutePath.Length))
            {
                found = endpoint;
            }
        }

        return found;
    }

    /// <summary>
    /// Checks the network verdict of the request's host before it is sent, so a request on a pooled
    /// connection is refused too once a new answer fails the policy. A host the connector reaches has none.
    /// </summary>
    /// <exception cref="EndpointNetworkException">The name did not resolve, or the policy refused its addresses.</exception>
    /// <exception cref="InvalidOperationException">The host is not a configured endpoint.</exception>
    public ValueTask VerifyAsync(Uri uri, CancellationToken cancellationToken)
    {
        var host = uri.IdnHost;
        if (At(host, uri.Port).Guard is not { } guard)
        {
            return ValueTask.CompletedTask;
        }

        // A verdict within its TTL completes at once: no async frame for it.
        var verdict = guard.VerifyAsync(host, cancellationToken);
        return verdict.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitedAsync(verdict);

        static async ValueTask AwaitedAsync(ValueTask<PolicyVerdict> pending) => await pending.ConfigureAwait(false);
    }

    /// <summary>
    /// The connect callback: the connector for a host it reaches, otherwise a TCP connection to an
    /// address the host's verdict allows. Any other host is refused: nothing else is connected to.
    /// </summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var (host, port) = (context.DnsEndPoint.Host, context.DnsEndPoint.Port);
        return At(host, port).Guard is { } guard
            ? guard.ConnectAsync(host, port, cancellationToken)
            : _connector!.ConnectAsync(host, port, cancellationToken);
    }

    /// <summary>The error for a request to a host that is not a configured endpoint.</summary>
    public static InvalidOperationException NotAnEndpoint(Uri uri) => NotAnEndpoint(uri.IdnHost, uri.Port);

    public void Dispose()
    {
        foreach (var endpoint in Endpoints)
        {
            endpoint.Guard?.Dispose();
        }
    }

    private static InvalidOperationException NotAnEndpoint(string host, int port) =>
        new($"SecureOpenAI does not connect to {host}:{port}: it is not a configured endpoint.");

    private static bool IsAt(FailoverEndpoint endpoint, string host, int port) =>
        endpoint.BaseUri.Port == port && string.Equals(endpoint.BaseUri.IdnHost, host, StringComparison.OrdinalIgnoreCase);

    /// <summary>The first endpoint at <paramref name="host"/>:<paramref name="port"/>; endpoints sharing them share how they are reached.</summary>
    private FailoverEndpoint At(string host, int port)
    {
        for (var i = 0; i < Endpoints.Count; i++)
        {
            if (IsAt(Endpoints[i], host, port))
            {
                return Endpoints[i];
            }
        }

        throw NotAnEndpoint(host, port);
    }
}
