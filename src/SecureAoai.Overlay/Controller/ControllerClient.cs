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

    /// <summary>A validation callback trusting only servers whose chain ends at <paramref name="ca"/> and whose name matches.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 ca) => (_, certificate, _, errors) =>
        OverlayTrust.ChainsTo(certificate, ca, errors, OverlayCertificateAuthority.ServerAuthOid);

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

        static IReadOnlyList<string> Names(JsonNode? node) => node is JsonArray array ? [.. array.Select(n => n!.GetValue<string>())] : [];
        return new ControllerSession(ControllerProtocol.GetString(response, "name") ?? string.Empty, Names(response["roles"]), Names(response["dial"]), Names(response["bind"]), Names(response["routers"]));
    }

    public async Task<JsonObject> RequestAsync(JsonObject request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        await ControllerProtocol.WriteAsync(_ssl, request, timeout.Token).ConfigureAwait(false);
        return await ControllerProtocol.ReadAsync(_ssl, timeout.Token).ConfigureAwait(false)
            ?? throw new IOException("The controller closed the connection without answering.");
    }

    public ValueTask DisposeAsync() => _ssl.DisposeAsync();
}
