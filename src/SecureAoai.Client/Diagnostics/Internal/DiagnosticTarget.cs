using System.Net;
using System.Net.Sockets;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>A deployment to look up at one endpoint, by its name there.</summary>
internal sealed record DiagnosticDeployment(string Name, SecureOpenAIDeploymentKind Kind);

/// <summary>
/// One endpoint as the checks see it: its settings (its base URI with any gateway path prefix, and
/// the credential the SDK would send it, chosen by the same rule), then what the checks learned
/// about it (the addresses the network step verified, the one the TLS step reached). Later steps
/// connect only to that address, as the SDK connects only to verified addresses and never looks the
/// name up again.
/// </summary>
internal sealed class DiagnosticTarget(
    Uri root, string setting, CredentialChoice credential, SecureOpenAINetworkOptions network, IReadOnlyList<DiagnosticDeployment> deployments, SecureOpenAIConnector? connector)
{
    /// <summary>The base URI requests go below: <c>https://x.openai.azure.com/</c>, or a gateway's with its path prefix.</summary>
    public Uri Root { get; } = root;

    public string Host => Root.IdnHost;

    public int Port => Root.Port;

    /// <summary>The endpoint's configuration path: <c>SecureOpenAI:Endpoints:1</c>, or <c>SecureOpenAI</c> for the one <c>Endpoint</c>.</summary>
    public string Setting { get; } = setting;

    /// <summary>The setting of the endpoint's address: <c>SecureOpenAI:Endpoint</c>, or <c>SecureOpenAI:Endpoints:N:Uri</c>.</summary>
    public string UriSetting => Setting == SecureOpenAIOptions.SectionName ? SettingNames.Endpoint : $"{Setting}:Uri";

    /// <summary>How requests to this endpoint authenticate; holds the key, which <see cref="CredentialChoice.ToString"/> never shows.</summary>
    public CredentialChoice Credential { get; } = credential;

    /// <summary>The token scope this endpoint's requests carry a token for, or <see langword="null"/> for a key.</summary>
    public string? Scope => Credential.Kind == EndpointCredentialKind.EntraToken ? Credential.Value : null;

    /// <summary>The endpoint as a refusal's fix names it (the same rule as the SDK's errors).</summary>
    public RefusedEndpoint Refused { get; } = RefusedEndpoint.Of(root, setting, credential);

    public SecureOpenAINetworkOptions Network { get; } = network;

    public IReadOnlyList<DiagnosticDeployment> Deployments { get; } = deployments;

    public bool UsesConnector => connector?.Handles(Host, Port) == true;

    /// <summary>The addresses the network step allowed, in the order to try them.</summary>
    public IReadOnlyList<IPAddress> VerifiedAddresses { get; set; } = [];

    /// <summary>The verified address the TLS step reached; <see langword="null"/> before it, or through a connector.</summary>
    public IPAddress? ConnectedAddress { get; set; }

    /// <summary>
    /// The endpoints of <paramref name="options"/> as the SDK builds them (EndpointTable): each with its
    /// base URI, network settings, credential and deployment names.
    /// </summary>
    public static IReadOnlyList<DiagnosticTarget> FromOptions(SecureOpenAIOptions options)
    {
        var single = options.Endpoints.Count == 0;
        IReadOnlyList<SecureOpenAIEndpoint> configured = single ? [new SecureOpenAIEndpoint { Uri = options.Endpoint }] : options.Endpoints;
        return
        [
            .. configured.Select((e, index) =>
            {
                var setting = single ? SecureOpenAIOptions.SectionName : $"{SecureOpenAIOptions.SectionName}:Endpoints:{index}";
                return new DiagnosticTarget(
                    EndpointTable.BaseUri(e.Uri!), setting, EndpointAuthentication.Choose(options, e, setting), e.Network ?? options.Network,
                    DeploymentsAt(e.Deployments, options), options.Connector);
            }),
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

    private static DiagnosticDeployment[] DeploymentsAt(Dictionary<string, string> renamed, SecureOpenAIOptions options) =>
    [
        .. options.Deployments.Select(d => new DiagnosticDeployment(
            renamed.TryGetValue(d.Key, out var here) && !string.IsNullOrEmpty(here) ? here : d.Value.Name, d.Value.Kind)),
    ];
}
