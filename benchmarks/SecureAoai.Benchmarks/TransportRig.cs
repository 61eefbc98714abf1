using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Benchmarks;

/// <summary>
/// Echo servers on loopback, in this process, for the three transports: plain TCP, TLS (server
/// certificate from a CA the client trusts by a custom root) and the overlay (an EmbeddedOverlay:
/// dialer → router → binder, end-to-end sealed).
/// </summary>
internal sealed class TransportRig : IAsyncDisposable
{
    private const int BufferBytes = 64 * 1024;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "secureaoai-bench-" + Guid.NewGuid().ToString("N"));
    private TcpListener _tcp = null!;
    private TcpListener _tls = null!;
    private X509Certificate2 _tlsCertificate = null!;
    private EmbeddedOverlay _overlay = null!;
    private OverlayIdentity _dialerIdentity = null!;
    private OverlayIdentity _binderIdentity = null!;
    private OverlayContext _binder = null!;

    /// <summary>An identity allowed to bind the "web" service (for the HTTP benchmark's dark app).</summary>
    public OverlayContext Binder => _binder;

    public X509Certificate2 Ca => _overlay.Controller.CertificateAuthority.Certificate;

    public IPEndPoint TcpEndPoint => (IPEndPoint)_tcp.LocalEndpoint;

    public IPEndPoint TlsEndPoint => (IPEndPoint)_tls.LocalEndpoint;

    public OverlayContext Dialer { get; private set; } = null!;

    public static async Task<TransportRig> StartAsync()
    {
        var rig = new TransportRig();
        await rig.InitializeAsync();
        return rig;
    }

    public async Task<Stream> ConnectTcpAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(TcpEndPoint);
        return new NetworkStream(socket, ownsSocket: true);
    }

    public async Task<Stream> ConnectTlsAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(TlsEndPoint);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => OverlayTrust.ChainsTo(certificate, Ca, errors),
        });
        return ssl;
    }

    public async Task<Stream> DialOverlayAsync() => await Dialer.DialAsync("echo");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _tcp.Stop();
        _tls.Stop();
        await Dialer.DisposeAsync();
        await _binder.DisposeAsync();
        await _overlay.DisposeAsync();
        _tlsCertificate.Dispose();
        _dialerIdentity.Dispose();
        _binderIdentity.Dispose();
        await Task.WhenAll(_loops).ContinueWith(_ => { }, TaskScheduler.Default);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Echoes every dial of <paramref name="listener"/> until it is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task EchoEachAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            OverlayStream? stream;
            try
            {
                stream = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (stream is null)
            {
                return;
            }

            _ = EchoAsync(stream, stream.CompleteWritesAsync, cancellationToken);
        }
    }

    /// <summary>Copies everything back until the peer half-closes, then half-closes too.</summary>
    public static async Task EchoAsync(Stream stream, Func<ValueTask> completeWrites, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferBytes];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            await completeWrites();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    private async Task InitializeAsync()
    {
        _overlay = await EmbeddedOverlay.StartAsync(_directory);
        _overlay.CreateService("echo", "bench");
        _overlay.CreateService("web", "bench");
        _overlay.AllowDial("dial", ["#dialers"], ["#bench"]);
        _overlay.AllowBind("bind", ["#binders"], ["#bench"]);
        _dialerIdentity = await _overlay.EnrollAsync("dialer", "dialers");
        _binderIdentity = await _overlay.EnrollAsync("binder", "binders");
        Dialer = OverlayContext.Create(_dialerIdentity);
        _binder = OverlayContext.Create(_binderIdentity);
        var listener = await _binder.BindAsync("echo");
        _loops.Add(Task.Run(() => EchoEachAsync(listener, _stop.Token)));

        _tcp = new TcpListener(IPAddress.Loopback, 0);
        _tcp.Start(512);
        _loops.Add(AcceptAsync(_tcp, async socket =>
        {
            socket.NoDelay = true;
            var stream = new NetworkStream(socket, ownsSocket: true);
            await EchoAsync(stream, () => { socket.Shutdown(SocketShutdown.Send); return ValueTask.CompletedTask; }, _stop.Token);
        }));

        _tlsCertificate = _overlay.Controller.CertificateAuthority.IssueServerCertificate("tls-echo", ["localhost"], [IPAddress.Loopback]);
        _tls = new TcpListener(IPAddress.Loopback, 0);
        _tls.Start(512);
        _loops.Add(AcceptAsync(_tls, async socket =>
        {
            socket.NoDelay = true;
            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _tlsCertificate }, _stop.Token);
            await EchoAsync(ssl, () => new ValueTask(ssl.ShutdownAsync()), _stop.Token);
        }));
    }

    private async Task AcceptAsync(TcpListener listener, Func<Socket, Task> serve)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var socket = await listener.AcceptSocketAsync(_stop.Token);
                _ = Task.Run(() => serve(socket));
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }
}
