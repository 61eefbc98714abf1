using System.Net;
using System.Net.Sockets;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>A deployment to look up at one endpoint, by its name there.</summary>
internal sealed record DiagnosticDeployment(string Name, SecureOpenAIDeploymentKind Kind);

/// <summary>
/// One endpoint as the checks see it: its settings, then what the checks learned about it (the
/// addresses the network step verified, the one the TLS step reached). Later steps connect only to
/// that address, as the SDK connects only to verified addresses and never looks the name up again.
/// </summary>
internal sealed class DiagnosticTarget(Uri root, SecureOpenAINetworkOptions network, string? apiKey, IReadOnlyList<DiagnosticDeployment> deployments, SecureOpenAIConnector? connector)
{
    public Uri Root { get; } = root;

    public string Host => Root.IdnHost;

    public int Port => Root.Port;

    public SecureOpenAINetworkOptions Network { get; } = network;

    /// <summary>The key requests to this endpoint carry, or <see langword="null"/> for an Entra ID token. Never shown.</summary>
    public string? ApiKey { get; } = apiKey;

    public IReadOnlyList<DiagnosticDeployment> Deployments { get; } = deployments;

    public bool UsesConnector => connector?.Handles(Host, Port) == true;

    /// <summary>The addresses the network step allowed, in the order to try them.</summary>
    public IReadOnlyList<IPAddress> VerifiedAddresses { get; set; } = [];

    /// <summary>The verified address the TLS step reached; <see langword="null"/> before it, or through a connector.</summary>
    public IPAddress? ConnectedAddress { get; set; }


    /// <summary>The endpoints of <paramref name="options"/>, each with its own network settings, key and deployment names.</summary>
    public static IReadOnlyList<DiagnosticTarget> FromOptions(SecureOpenAIOptions options)
    {
        var usesKeys = !string.IsNullOrEmpty(options.ApiKey);
        if (options.Endpoints.Count == 0)
        {
            return [new DiagnosticTarget(ResourceRoot(options.Endpoint!), options.Network, usesKeys ? options.ApiKey : null, DeploymentsAt([], options), options.Connector)];
        }

        return
        [
            .. options.Endpoints.Select(e => new DiagnosticTarget(
                ResourceRoot(e.Uri!), e.Network ?? options.Network, usesKeys ? (string.IsNullOrEmpty(e.ApiKey) ? options.ApiKey : e.ApiKey) : null,
                DeploymentsAt(e.Deployments, options), options.Connector)),
        ];
    }

    /// <summary>
    /// Opens a TCP connection to the first verified address that answers, each within
    /// <see cref="SecureOpenAINetworkOptions.ConnectTimeout"/>, or through the connector; remembers the address.
    /// </summary>
    /// <returns>The stream, or <see langword="null"/> with one line per address that did not answer.</returns>
    public async Task<(Stream? Stream, IReadOnlyList<string> Failures)> ConnectFirstAsync(CancellationToken cancellationToken)
    {
        if (UsesConnector)
        {
            return (await connector!.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false), []);
        }

        var failures = new List<string>();
        foreach (var address in VerifiedAddresses)
        {
            try
            {
                var stream = await OpenAsync(address, cancellationToken).ConfigureAwait(false);
                ConnectedAddress = address;
                return (stream, failures);
            }
            catch (IOException ex)
            {
                failures.Add(ex.Message);
            }
        }

        return (null, failures);
    }

    /// <summary>A new connection to where the TLS step connected: the same verified address, or the connector.</summary>
    public ValueTask<Stream> ReconnectAsync(CancellationToken cancellationToken) =>
        UsesConnector ? connector!.ConnectAsync(Host, Port, cancellationToken)
        : ConnectedAddress is { } address ? OpenAsync(address, cancellationToken)
        : throw new InvalidOperationException($"{Host} has no verified address that answered.");

    private async ValueTask<Stream> OpenAsync(IPAddress address, CancellationToken cancellationToken)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Network.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, Port), timeout.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new IOException($"{address}:{Port}: no answer within {Network.ConnectTimeout.TotalSeconds:0.#} s");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"{address}:{Port}: {ex.SocketErrorCode}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Uri ResourceRoot(Uri endpoint) => new(endpoint.GetLeftPart(UriPartial.Authority) + "/");

    private static DiagnosticDeployment[] DeploymentsAt(Dictionary<string, string> renamed, SecureOpenAIOptions options) =>
    [
        .. options.Deployments.Select(d => new DiagnosticDeployment(
            renamed.TryGetValue(d.Key, out var here) && !string.IsNullOrEmpty(here) ? here : d.Value.Name, d.Value.Kind)),
    ];
}
