using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Benchmarks;

/// <summary>
/// Echo servers on loopback, in this process, for five transports: plain TCP; TLS (server certificate
/// from a CA the client trusts by a custom root); the TLS relay (TLS to a <see cref="TlsRelay"/>, TLS
/// from it to the TLS echo: the floor of any relayed path); the sealed relay (the same relay, with the
/// overlay's own end-to-end record layer, <see cref="SealedStream"/>, at both ends and no mux); and the
/// overlay (an EmbeddedOverlay: dialer → router → binder, end-to-end sealed).
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
    private TcpListener _sealedEcho = null!;
    private TlsRelay _relay = null!;
    private TlsRelay _sealedRelay = null!;

    // The sealed relay's end-to-end keys, fixed for the rig: its ends skip the handshake (the dial
    // benchmark measures that), so what it adds over the TLS relay is the record layer alone.
    private readonly byte[] _towardServerKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _towardClientKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _towardServerPrefix = RandomNumberGenerator.GetBytes(4);
    private readonly byte[] _towardClientPrefix = RandomNumberGenerator.GetBytes(4);

    /// <summary>An identity allowed to bind the "web" service (for the HTTP benchmark's dark app).</summary>
    public OverlayContext Binder => _binder;

    public X509Certificate2 Ca => _overlay.Controller.CertificateAuthority.Certificate;

    public IPEndPoint TcpEndPoint => (IPEndPoint)_tcp.LocalEndpoint;

    public IPEndPoint TlsEndPoint => (IPEndPoint)_tls.LocalEndpoint;

    public OverlayContext Dialer { get; private set; } = null!;

    /// <summary>An identity allowed to dial "echo" and "web".</summary>
    public OverlayIdentity DialerIdentity => _dialerIdentity;

    /// <summary>An identity allowed to bind "echo" and "web".</summary>
    public OverlayIdentity BinderIdentity => _binderIdentity;

    /// <summary>The overlay's controller and router, for benchmarks that build their own overlay contexts.</summary>
    public EmbeddedOverlay Overlay => _overlay;

    /// <summary>A server certificate for <c>localhost</c> and 127.0.0.1 from <see cref="Ca"/>, with its key.</summary>
    public X509Certificate2 ServerCertificate => _tlsCertificate;

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

    public async Task<Stream> ConnectTlsAsync() => await TlsRelay.ConnectTlsAsync(TlsEndPoint, Ca);

    /// <summary>TLS to the relay, which has its own TLS to the TLS echo.</summary>
    public async Task<Stream> ConnectTlsRelayAsync() => await TlsRelay.ConnectTlsAsync(_relay.EndPoint, Ca);

    /// <summary>TLS to a relay in front of the sealed echo, sealed end to end by the overlay's record layer.</summary>
    public async Task<Stream> ConnectSealedRelayAsync()
    {
        var ssl = await TlsRelay.ConnectTlsAsync(_sealedRelay.EndPoint, Ca);
        return new SealedStream(ssl, _towardServerKey, _towardServerPrefix, _towardClientKey, _towardClientPrefix, X509CertificateLoader.LoadCertificate(Ca.RawData));
    }

    public async Task<Stream> DialOverlayAsync() => await Dialer.DialAsync("echo");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _tcp.Stop();
        _tls.Stop();
        _sealedEcho.Stop();
        await _relay.DisposeAsync();
        await _sealedRelay.DisposeAsync();
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
        _relay = new TlsRelay(TlsEndPoint, _tlsCertificate, Ca);

        _sealedEcho = new TcpListener(IPAddress.Loopback, 0);
        _sealedEcho.Start(512);
        _loops.Add(AcceptAsync(_sealedEcho, async socket =>
        {
            socket.NoDelay = true;
            var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _tlsCertificate }, _stop.Token);
            var sealedStream = new SealedStream(ssl, _towardClientKey, _towardClientPrefix, _towardServerKey, _towardServerPrefix, X509CertificateLoader.LoadCertificate(Ca.RawData));
            await EchoAsync(sealedStream, async () =>
            {
                await sealedStream.CompleteWritesAsync(_stop.Token);
                await ssl.ShutdownAsync();
            }, _stop.Token);
        }));
        _sealedRelay = new TlsRelay((IPEndPoint)_sealedEcho.LocalEndpoint, _tlsCertificate, Ca);
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
