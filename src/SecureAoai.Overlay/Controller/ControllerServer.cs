using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's network API: TLS on TCP with the controller's certificate from the overlay CA,
/// client certificates requested but optional (enrollment has none yet); a presented client
/// certificate must come from the overlay CA or the handshake fails. Messages are framed by
/// <see cref="ControllerProtocol"/> and answered by <see cref="ControllerOperations"/>. Anyone who
/// reaches the port gets as far as the handshake, so what one caller can hold is bounded
/// (<see cref="OverlayControllerOptions"/>): connections in all and per source, a deadline on the
/// whole connection, a read timeout, and two requests on a connection without a client certificate.
/// </summary>
internal sealed class ControllerServer : IAsyncDisposable
{
    private readonly OverlayController _controller;
    private readonly TcpListener _listener;
    private readonly SslStreamCertificateContext _certificate;
    private readonly OverlayControllerOptions _options;
    private readonly ControllerStateVersion _state;
    private readonly ControllerOperations _operations;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _slots;
    private readonly ConnectionsPerSource _perSource;
    private readonly Task _acceptLoop;
    private int _disposed;

    private ControllerServer(
        OverlayController controller, TcpListener listener, X509Certificate2 certificate, OverlayControllerOptions options, ILogger logger,
        Func<CancellationToken, ValueTask<Socket>> accept)
    {
        _controller = controller;
        _state = controller.StateVersion(options.StatePollInterval);
        _operations = new ControllerOperations(controller, _state, options.RouterWatchTimeout, logger);
        _listener = listener;
        ServerCertificate = certificate;
        _certificate = SslStreamCertificateContext.Create(certificate, [controller.CertificateAuthority.Certificate], offline: true);
        _options = options;
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        _perSource = new ConnectionsPerSource(options.MaxConnectionsPerSource);
        _logger = logger;
        EndPoint = (IPEndPoint)listener.LocalEndpoint;
        _acceptLoop = AcceptLoop.RunAsync(accept, Admit, "overlay controller", logger, controller.Time, _stopping.Token);
    }

    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The version of the state routers watch; tests ask it to look now instead of at the next poll.</summary>
    internal ControllerStateVersion State => _state;

    /// <summary>
    /// Starts serving on <paramref name="listener"/> (started here if it is not yet); the server owns and
    /// stops it. <paramref name="options"/> defaults to <see cref="OverlayControllerOptions"/>' defaults;
    /// <paramref name="accept"/>, when set, replaces the listener's accept (for tests that make it fail).
    /// </summary>
    public static ControllerServer Start(
        OverlayController controller, TcpListener listener, X509Certificate2 certificate, ILogger logger,
        OverlayControllerOptions? options = null, Func<TcpListener, CancellationToken, ValueTask<Socket>>? accept = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        options ??= new OverlayControllerOptions();
        options.ValidateLimits();
        if (!listener.Server.IsBound)
        {
            listener.Start(options.MaxConnections);
        }
        else
        {
            listener.Start();
        }

        var server = new ControllerServer(
            controller, listener, certificate, options, logger, accept is null ? listener.AcceptSocketAsync : cancellationToken => accept(listener, cancellationToken));
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
        for (var i = 0; i < _options.MaxConnections; i++)
        {
            await _slots.WaitAsync(_options.ReadTimeout).ConfigureAwait(false);
        }

        _stopping.Dispose();
        ServerCertificate.Dispose();
    }

    /// <summary>Serves the connection if a slot is free for all and for its source; otherwise closes it at once.</summary>
    private void Admit(Socket socket)
    {
        var remote = socket.RemoteEndPoint;
        var source = ConnectionsPerSource.SourceOf(remote);
        if (!_perSource.TryAdd(source))
        {
            ControllerLog.TooManyConnectionsFromSource(_logger, remote, _options.MaxConnectionsPerSource);
            socket.Dispose();
            return;
        }

        if (!_slots.Wait(0))
        {
            _perSource.Remove(source);
            ControllerLog.TooManyConnections(_logger, remote, _options.MaxConnections);
            socket.Dispose();
            return;
        }

        _ = ServeAsync(socket, remote, source);
    }

    private async Task ServeAsync(Socket socket, EndPoint? remote, IPAddress source)
    {
        // Deadlines run on the controller's clock. The whole connection has one; the handshake and each request another.
        using var deadline = new CancellationTokenSource(_options.ConnectionTimeout, _controller.Time);
        using var idle = new CancellationTokenSource(_options.ReadTimeout, _controller.Time);
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, deadline.Token, idle.Token);
        try
        {
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificate,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                // No certificate is fine (enrollment); one that is not ours ends the handshake.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is null || _controller.CertificateAuthority.Issued(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData())),
            }, ends.Token).ConfigureAwait(false);

            using var client = ssl.RemoteCertificate is null ? null : X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate.GetRawCertData());
            var maxRequests = client is null ? _options.MaxRequestsWithoutClientCertificate : _options.MaxRequestsPerConnection;
            for (var i = 0; i < maxRequests; i++)
            {
                idle.CancelAfter(_options.ReadTimeout);
                var request = await ControllerProtocol.ReadAsync(ssl, ends.Token).ConfigureAwait(false);
                // The read timeout is for the wait alone; answering is bounded by the connection's deadline.
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                if (request is null)
                {
                    return;
                }

                var response = await _operations.HandleAsync(request, client, remote, ends.Token).ConfigureAwait(false);
                await ControllerProtocol.WriteAsync(ssl, response, ends.Token).ConfigureAwait(false);
            }

            ControllerLog.ConnectionEnded(_logger, remote, $"{maxRequests} requests answered, the most for one connection");
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or InvalidDataException or SocketException or ObjectDisposedException)
        {
            var reason = deadline.IsCancellationRequested ? $"open for {_options.ConnectionTimeout.TotalSeconds:0} s, the most for one connection"
                : idle.IsCancellationRequested ? $"nothing read for {_options.ReadTimeout.TotalSeconds:0} s"
                : ex.GetType().Name + ": " + ex.Message;
            ControllerLog.ConnectionEnded(_logger, remote, reason);
        }
        finally
        {
            _perSource.Remove(source);
            _slots.Release();
        }
    }
}
