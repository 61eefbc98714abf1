using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's network API: TLS on TCP with the controller's certificate from the overlay CA,
/// client certificates requested but optional (enrollment has none yet); a presented client
/// certificate must come from the overlay CA or the handshake fails. Messages are framed by
/// <see cref="ControllerProtocol"/>. Operations:
/// <list type="bullet">
/// <item><c>{"op":"ca"}</c> → <c>{"ok":true,"ca":PEM}</c> (public; the enrollee pins it to the token's fingerprint)</item>
/// <item><c>{"op":"enroll","token":JWT,"csr":PEM}</c> → <c>{"ok":true,"certificate":PEM,"ca":PEM}</c></item>
/// <item><c>{"op":"session"}</c> (identity client certificate) → <c>{"ok":true,"name","roles":[],"dial":[],"bind":[],"routers":["host:port"]}</c></item>
/// <item><c>{"op":"authorize","identity","service","action":"Dial"|"Bind"}</c> (router client certificate) → <c>{"ok":true,"allowed":bool}</c></item>
/// </list>
/// Errors: <c>{"ok":false,"error":code,"message":text}</c> with codes bad-request, unauthenticated, forbidden, enrollment-refused.
/// </summary>
internal sealed class ControllerServer : IAsyncDisposable
{
    public const int MaxConcurrentConnections = 256;
    public const int MaxRequestsPerConnection = 64;
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly OverlayController _controller;
    private readonly TcpListener _listener;
    private readonly SslStreamCertificateContext _certificate;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _slots = new(MaxConcurrentConnections, MaxConcurrentConnections);
    private readonly Task _acceptLoop;
    private int _disposed;

    private ControllerServer(OverlayController controller, TcpListener listener, X509Certificate2 certificate, ILogger logger)
    {
        _controller = controller;
        _listener = listener;
        ServerCertificate = certificate;
        _certificate = SslStreamCertificateContext.Create(certificate, [controller.CertificateAuthority.Certificate], offline: true);
        _logger = logger;
        EndPoint = (IPEndPoint)listener.LocalEndpoint;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>Starts serving on <paramref name="listener"/> (started here if it is not yet); the server owns and stops it.</summary>
    public static ControllerServer Start(OverlayController controller, TcpListener listener, X509Certificate2 certificate, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (!listener.Server.IsBound)
        {
            listener.Start(MaxConcurrentConnections);
        }
        else
        {
            listener.Start();
        }

        var server = new ControllerServer(controller, listener, certificate, logger);
        ControllerLog.Listening(logger, server.EndPoint);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        // Wait for open connections to notice cancellation and give their slots back.
        for (var i = 0; i < MaxConcurrentConnections; i++)
        {
            await _slots.WaitAsync(ReadTimeout).ConfigureAwait(false);
        }

        _stopping.Dispose();
        ServerCertificate.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (!_slots.Wait(0))
            {
                ControllerLog.TooManyConnections(_logger, socket.RemoteEndPoint, MaxConcurrentConnections);
                socket.Dispose();
                continue;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            timeout.CancelAfter(ReadTimeout);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                // No certificate is fine (enrollment); one that is not ours ends the handshake.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is null || _controller.CertificateAuthority.Issued(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())),
            }, timeout.Token).ConfigureAwait(false);

            using var client = ssl.RemoteCertificate is null ? null : X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate.GetRawCertData());
            for (var i = 0; i < MaxRequestsPerConnection; i++)
            {
                timeout.CancelAfter(ReadTimeout);
                var request = await ControllerProtocol.ReadAsync(ssl, timeout.Token).ConfigureAwait(false);
                if (request is null)
                {
                    return;
                }

                var response = await HandleAsync(request, client, remote).ConfigureAwait(false);
                await ControllerProtocol.WriteAsync(ssl, response, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or InvalidDataException or SocketException or ObjectDisposedException)
        {
            ControllerLog.ConnectionEnded(_logger, remote, ex.GetType().Name + ": " + ex.Message);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<JsonObject> HandleAsync(JsonObject request, X509Certificate2? client, EndPoint? remote)
    {
        switch (ControllerProtocol.GetString(request, "op"))
        {
            case ControllerProtocol.CaOp:
                return new JsonObject { ["ok"] = true, ["ca"] = _controller.CertificateAuthority.Certificate.ExportCertificatePem() };

            case ControllerProtocol.EnrollOp:
                var token = ControllerProtocol.GetString(request, "token");
                var csr = ControllerProtocol.GetString(request, "csr");
                if (token is null || csr is null)
                {
                    return ControllerProtocol.Error("bad-request", "enroll needs \"token\" and \"csr\".");
                }

                var result = await _controller.EnrollAsync(token, csr).ConfigureAwait(false);
                if (result.Error is not null)
                {
                    ControllerLog.EnrollmentRefused(_logger, remote, result.Error);
                    return ControllerProtocol.Error("enrollment-refused", result.Error);
                }

                ControllerLog.Enrolled(_logger, result.IdentityName!);
                return new JsonObject { ["ok"] = true, ["certificate"] = result.CertificatePem, ["ca"] = _controller.CertificateAuthority.Certificate.ExportCertificatePem() };

            case ControllerProtocol.SessionOp:
                var identity = client is null ? null : _controller.ResolveIdentity(client);
                if (identity is null)
                {
                    return ControllerProtocol.Error("unauthenticated", "session needs the client certificate of an enrolled, unrevoked identity.");
                }

                return new JsonObject
                {
                    ["ok"] = true,
                    ["name"] = identity.Name,
                    ["roles"] = ToArray(identity.Roles),
                    ["dial"] = ToArray(_controller.DialableServices(identity.Name).Select(s => s.Name)),
                    ["bind"] = ToArray(_controller.BindableServices(identity.Name).Select(s => s.Name)),
                    ["routers"] = ToArray(_controller.RouterAddresses),
                };

            case ControllerProtocol.AuthorizeOp:
                if (client is null || !_controller.IsRouterCertificate(client))
                {
                    return ControllerProtocol.Error("forbidden", "authorize is for routers: present a router certificate from this overlay's CA.");
                }

                var name = ControllerProtocol.GetString(request, "identity");
                var service = ControllerProtocol.GetString(request, "service");
                if (name is null || service is null || !Enum.TryParse<ServicePolicyType>(ControllerProtocol.GetString(request, "action"), false, out var action) || !Enum.IsDefined(action))
                {
                    return ControllerProtocol.Error("bad-request", "authorize needs \"identity\", \"service\" and \"action\" (Dial or Bind).");
                }

                return new JsonObject { ["ok"] = true, ["allowed"] = _controller.Authorize(name, service, action) };

            default:
                return ControllerProtocol.Error("bad-request", "Unknown \"op\"; use ca, enroll, session or authorize.");
        }
    }

    private static JsonArray ToArray(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)v)];
}
