using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay.Tests.Hostile;

/// <summary>
/// A router taken over by an attacker: it holds a genuine certificate from the overlay CA and speaks
/// the mux protocol to real SDK contexts, but does with each bind and dial whatever the test says,
/// instead of what the honest <see cref="OverlayRouter"/> would. Like any router it may ask the
/// controller for grants (for any identity it knows the certificate of); it cannot make them.
/// </summary>
internal sealed class CompromisedRouter : IAsyncDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _ca;
    private readonly Func<GrantKind, string, string, byte[]?> _askController;
    private readonly ConcurrentDictionary<string, string> _thumbprints = new(StringComparer.Ordinal);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, MuxSession> _parties = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _bound = new(StringComparer.Ordinal);
    private readonly List<Task> _tasks = [];
    private Task _acceptLoop = Task.CompletedTask;

    /// <param name="serverCertificate">The router's TLS certificate, with its key.</param>
    /// <param name="ca">The overlay CA.</param>
    /// <param name="askController">What the controller answers a router asking for a grant (kind, certificate thumbprint, service).</param>
    public CompromisedRouter(X509Certificate2 serverCertificate, X509Certificate2 ca, Func<GrantKind, string, string, byte[]?> askController)
    {
        _certificate = serverCertificate;
        _ca = ca;
        _askController = askController;
    }

    /// <summary>What to hand a binder as its bind grant: (binder, service) → grant. The default is its genuine grant, when the controller gives one.</summary>
    public Func<string, string, byte[]?>? BindGrantFor { get; set; }

    /// <summary>What to do with a bind's control stream once the first grant is sent (the default leaves it be).</summary>
    public Func<MuxStream, Task>? OnBindControl { get; set; }

    /// <summary>What to do with a dial: the dialer's name, its Open and what it asked for.</summary>
    public Func<string, MuxIncomingStream, RouterRequest, Task>? OnDial { get; set; }

    /// <summary>Everything the router saw on streams it terminated or forwarded.</summary>
    public MemoryStream Seen { get; } = new();

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Completes when <paramref name="identity"/> has opened a bind (the router accepts every bind).</summary>
    public Task BoundAsync(string identity) => _bound.GetOrAdd(identity, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>A genuine grant of the controller for a connected party's certificate.</summary>
    private byte[]? GrantOf(GrantKind kind, string identity, string service) => _askController(kind, _thumbprints[identity], service);

    /// <summary>A genuine grant for any certificate the router learned of.</summary>
    public byte[]? GrantFor(GrantKind kind, X509Certificate2 certificate, string service) =>
        _askController(kind, OverlayCertificateAuthority.ComputeFingerprint(certificate), service);

    /// <summary>Plays the binder itself with <paramref name="certificate"/> (and its key), presenting <paramref name="grant"/>, then echoes what it reads.</summary>
    public async Task TerminateAsBinderAsync(MuxIncomingStream incoming, X509Certificate2 certificate, string service, byte[]? grant = null)
    {
        var stream = await incoming.AcceptAsync();
        try
        {
            await using var sealedStream = await E2eHandshake.RunAsync(stream, isDialer: false, certificate, _ca, service, grant ?? [], checkPeer: null, _stop.Token);
            await CopyRecordingAsync(sealedStream, sealedStream);
            await sealedStream.CompleteWritesAsync();
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException)
        {
            stream.Abort("the compromised router's handshake failed");
        }
    }

    /// <summary>Forwards the dial to <paramref name="binder"/>'s session with <paramref name="metadata"/> of the router's choosing, and relays both ways.</summary>
    public async Task ForwardAsync(MuxIncomingStream incoming, string binder, string metadata)
    {
        MuxStream toBinder;
        try
        {
            toBinder = await _parties[binder].OpenStreamAsync(Encoding.UTF8.GetBytes(metadata), _stop.Token);
        }
        catch (MuxStreamRejectedException rejected)
        {
            await incoming.RejectAsync(ReasonCode.Refused, $"refused by the binder: {rejected.Reason}");
            return;
        }

        var fromDialer = await incoming.AcceptAsync();
        await Task.WhenAll(PumpAsync(fromDialer, toBinder), PumpAsync(toBinder, fromDialer));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        foreach (var session in _parties.Values)
        {
            await session.DisposeAsync();
        }

        await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private void Record(ReadOnlySpan<byte> bytes)
    {
        lock (Seen)
        {
            Seen.Write(bytes);
        }
    }

    private async Task AcceptLoopAsync()
    {
        for (var i = 0; i < 1000; i++)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            lock (_tasks)
            {
                _tasks.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
        string name;
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => OverlayTrust.ChainsTo(certificate, _ca, errors),
            }, _stop.Token);
            using var client = X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData());
            name = client.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            _thumbprints[name] = OverlayCertificateAuthority.ComputeFingerprint(client);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync();
            return;
        }

        var mux = new MuxSession(ssl, new MuxOptions(), isInitiator: false);
        _parties[name] = mux;
        var run = mux.RunAsync(_stop.Token);
        try
        {
            while (await mux.AcceptAsync(_stop.Token) is { } incoming)
            {
                var request = RouterRequest.TryParse(incoming.Metadata.Span)!;
                if (request.Op == RouterRequest.Bind)
                {
                    var control = await incoming.AcceptAsync();
                    var grant = BindGrantFor is { } choose ? choose(name, request.Service) : GrantOf(GrantKind.Bind, name, request.Service);
                    if (grant is not null)
                    {
                        await BindControl.WriteGrantAsync(control, grant);
                    }

                    _bound.GetOrAdd(name, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                    if (OnBindControl is { } onBindControl)
                    {
                        lock (_tasks)
                        {
                            _tasks.Add(onBindControl(control));
                        }
                    }
                }
                else if (OnDial is { } onDial)
                {
                    lock (_tasks)
                    {
                        _tasks.Add(onDial(name, incoming, request));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }

        await run.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task PumpAsync(MuxStream source, MuxStream destination)
    {
        try
        {
            await CopyRecordingAsync(source, destination);
            await destination.CompleteWritesAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            source.Abort("the other end failed");
            destination.Abort("the other end failed");
        }
    }

    /// <summary>Copies until the source ends, keeping a copy of every byte in <see cref="Seen"/>.</summary>
    private async Task CopyRecordingAsync(Stream source, Stream destination)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer, _stop.Token)) > 0)
        {
            Record(buffer.AsSpan(0, read));
            await destination.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }
}
