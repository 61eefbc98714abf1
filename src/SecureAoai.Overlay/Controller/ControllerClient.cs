using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Controller;

/// <summary>Client side of the controller protocol: one TLS connection, request/response messages.</summary>
internal sealed class ControllerClient : IAsyncDisposable
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly SslStream _ssl;

    private ControllerClient(SslStream ssl) => _ssl = ssl;

    /// <summary>Connects to <paramref name="address"/> (host:port), validating the server with <paramref name="validate"/>, optionally presenting <paramref name="clientCertificate"/>.</summary>
    public static async Task<ControllerClient> ConnectAsync(string address, RemoteCertificateValidationCallback validate, X509Certificate2? clientCertificate, CancellationToken cancellationToken)
    {
        if (!HostPort.TryParse(address, out var host, out var port))
        {
            throw new ArgumentException($"Controller address '{address}' is not HOST:PORT.", nameof(address));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = validate,
                ClientCertificateContext = clientCertificate is null ? null : SslStreamCertificateContext.Create(clientCertificate, null, offline: true),
            }, timeout.Token).ConfigureAwait(false);
            return new ControllerClient(ssl);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A validation callback trusting only the controller: a server certificate whose chain ends at
    /// <paramref name="ca"/>, whose name matches, and which names itself the controller's (so no router's does).
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 ca) => (_, certificate, _, errors) =>
        OverlayTrust.ChainsTo(certificate, ca, errors, OverlayCertificateAuthority.ServerAuthOid) && IsController(certificate!);

    private static bool IsController(X509Certificate certificate)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return OverlayTrust.IsControllerCertificate(leaf);
    }

    /// <summary>Opens a session with an enrolled identity (mutual TLS, the server pinned to the identity's CA).</summary>
    public static async Task<ControllerSession> GetSessionAsync(OverlayIdentity identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        await using var client = await ConnectAsync(identity.ControllerAddress, TrustOnly(identity.CaCertificate), identity.Certificate, cancellationToken).ConfigureAwait(false);
        var response = await client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.SessionOp }, cancellationToken).ConfigureAwait(false);
        if (response["ok"]?.GetValue<bool>() != true)
        {
            throw new UnauthorizedAccessException($"The controller refused the session for '{identity.Name}': {ControllerProtocol.GetString(response, "message")}");
        }

        return new ControllerSession(
            ControllerProtocol.GetString(response, "name") ?? string.Empty, Names(response["roles"]), Names(response["dial"]), Names(response["bind"]), Routers(response["routers"]));
    }

    private static IReadOnlyList<string> Names(JsonNode? node) =>
        node is JsonArray array ? [.. array.OfType<JsonValue>().Select(n => n.TryGetValue<string>(out var text) ? text : null).OfType<string>()] : [];

    private static List<SessionRouter> Routers(JsonNode? node)
    {
        var routers = new List<SessionRouter>();
        foreach (var entry in node as JsonArray ?? [])
        {
            if (entry is JsonObject router && ControllerProtocol.GetString(router, "name") is { } name && ControllerProtocol.GetString(router, "address") is { } address)
            {
                routers.Add(new SessionRouter(name, address, Names(router["roles"])));
            }
        }

        return routers;
    }

    public Task<JsonObject> RequestAsync(JsonObject request, CancellationToken cancellationToken) => RequestAsync(request, RequestTimeout, cancellationToken);

    /// <summary>Sends one request and reads its answer, within <paramref name="timeout"/> (a long poll needs more than <see cref="RequestTimeout"/>).</summary>
    public async Task<JsonObject> RequestAsync(JsonObject request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var token = timeoutSource.Token;
        await ControllerProtocol.WriteAsync(_ssl, request, token).ConfigureAwait(false);
        return await ControllerProtocol.ReadAsync(_ssl, token).ConfigureAwait(false)
            ?? throw new IOException("The controller closed the connection without answering.");
    }

    public ValueTask DisposeAsync() => _ssl.DisposeAsync();
}
