using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The overlay's router: one TCP port, mutual TLS with overlay certificates only. Binders register
/// terminators; each dial is checked against policy and joined to a terminator, and the router then
/// forwards the two streams' bytes (ciphertext: the ends seal them) without reading them.
/// </summary>
internal sealed class OverlayRouter : IAsyncDisposable
{
    private readonly IRouterAuthority _authority;
    private readonly X509Certificate2 _serverCertificate;
    private readonly OverlayRouterOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Terminator, byte>> _terminators = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RouterSession, byte> _sessions = new();
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _sweep = Task.CompletedTask;
    private long _forwardedBytes;
    private int _disposed;

    public OverlayRouter(IRouterAuthority authority, X509Certificate2 serverCertificate, OverlayRouterOptions? options = null, ILogger? logger = null)
    {
        _authority = authority;
        _serverCertificate = serverCertificate;
        _options = options ?? new OverlayRouterOptions();
        _logger = logger ?? NullLogger.Instance;
        _authority.IdentityRevoked += CloseSessionsOf;
    }

    /// <summary>Where the router listens, once started.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener ?? throw new InvalidOperationException("The router is not started.")).LocalEndpoint;

    /// <summary>Bytes forwarded between dialers and binders, both directions; for tests and the load tool.</summary>
    public long ForwardedBytes => Interlocked.Read(ref _forwardedBytes);

    /// <summary>Connected parties.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Live terminators of <paramref name="service"/>.</summary>
    public int TerminatorCount(string service) => _terminators.TryGetValue(service, out var set) ? set.Count : 0;

    /// <summary>Observes every byte the router forwards, for tests that prove it only ever sees ciphertext.</summary>
    internal Action<ReadOnlyMemory<byte>>? ForwardTap { get; set; }

    public void Start(IPEndPoint endPoint)
    {
        _listener = new TcpListener(endPoint);
        _listener.Start(backlog: 512);
        _acceptLoop = AcceptLoopAsync(_listener, _stop.Token);
        _sweep = SweepRevocationsAsync(_stop.Token);
        RouterLog.Listening(_logger, LocalEndPoint.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _authority.IdentityRevoked -= CloseSessionsOf;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        await _acceptLoop.ConfigureAwait(false);
        await _sweep.ConfigureAwait(false);
        foreach (var session in _sessions.Keys)
        {
            await session.Mux.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken) =>
        AcceptLoop.RunAsync(listener, socket =>
        {
            if (_sessions.Count >= _options.MaxSessions)
            {
                socket.Dispose();
                return;
            }

            socket.NoDelay = true;
            _ = ServeAsync(socket, cancellationToken);
        }, "overlay router", _logger, TimeProvider.System, cancellationToken);

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        RouterCaller? caller = null;
        try
        {
            using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                handshake.CancelAfter(_options.HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = _serverCertificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                            OverlayTrust.ChainsTo(certificate, _authority.CaCertificate, errors),
                    },
                    handshake.Token).ConfigureAwait(false);
            }

            using var certificate = new X509Certificate2(ssl.RemoteCertificate!);
            caller = _authority.Authenticate(certificate);
            if (caller is null || !_authority.CanUseRouter(caller.Name))
            {
                RouterLog.Refused(_logger, certificate.Subject, caller is null ? "unknown or revoked identity" : "no router policy admits it");
                await ssl.DisposeAsync().ConfigureAwait(false);
                return;
            }
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            RouterLog.HandshakeFailed(_logger, ex.Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return;
        }

        var mux = new MuxSession(ssl, _options.Mux, isInitiator: false, _logger);
        var session = new RouterSession(caller, mux);
        _sessions.TryAdd(session, 0);
        RouterLog.Connected(_logger, caller.Name);
        try
        {
            var run = mux.RunAsync(cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                MuxIncomingStream? incoming;
                try
                {
                    incoming = await mux.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    break;
                }

                if (incoming is null)
                {
                    break;
                }

                _ = HandleAsync(session, incoming, cancellationToken);
            }

            await run.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or OverlayProtocolException or ObjectDisposedException)
        {
            // The party went away or broke the protocol: only its own session ends.
            RouterLog.SessionEnded(_logger, caller.Name, ex.Message);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
            RemoveTerminatorsOf(session);
            await mux.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(RouterSession session, MuxIncomingStream incoming, CancellationToken cancellationToken)
    {
        try
        {
            var request = RouterRequest.TryParse(incoming.Metadata.Span);
            if (request is null)
            {
                await incoming.RejectAsync("malformed request: expected {\"op\":\"dial\"|\"bind\",\"service\":NAME}").ConfigureAwait(false);
                return;
            }

            if (!_authority.ServiceExists(request.Service))
            {
                await incoming.RejectAsync($"no such service: '{request.Service}'").ConfigureAwait(false);
                return;
            }

            if (request.Op == RouterRequest.Bind)
            {
                await BindAsync(session, incoming, request).ConfigureAwait(false);
            }
            else
            {
                await DialAsync(session, incoming, request, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever failed (the party went away, the store could not be read), this request
            // alone ends; the opener gets a reason instead of waiting forever.
            RouterLog.StreamFailed(_logger, session.Caller.Name, ex.Message);
            try
            {
                await incoming.RejectAsync($"router error: {ex.GetType().Name}").ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Already accepted or rejected: the stream itself carries the failure.
            }
        }
    }

    private async Task BindAsync(RouterSession session, MuxIncomingStream incoming, RouterRequest request)
    {
        // Policy is checked on every bind, not only at connect: a policy change applies at once.
        if (!_authority.CanBind(session.Caller.Name, request.Service))
        {
            RouterLog.Denied(_logger, session.Caller.Name, "bind", request.Service);
            await incoming.RejectAsync($"not authorized: identity '{session.Caller.Name}' may not bind service '{request.Service}'").ConfigureAwait(false);
            return;
        }

        var control = await incoming.AcceptAsync().ConfigureAwait(false);
        var grant = _authority.IssueBindGrant(session.Caller, request.Service);
        if (grant is null)
        {
            control.Abort($"not authorized: identity '{session.Caller.Name}' may not bind service '{request.Service}'");
            return;
        }

        var terminator = new Terminator(request.Service, session, control, request.Weight);
        try
        {
            // The grant goes out before the terminator exists, so it reaches the binder before any dial.
            await BindControl.WriteGrantAsync(control, grant).ConfigureAwait(false);
            _terminators.GetOrAdd(request.Service, static _ => new()).TryAdd(terminator, 0);
            RouterLog.Bound(_logger, session.Caller.Name, request.Service);

            // The binder holds its control stream open while it serves; it closes it to unbind. It asks
            // for a fresh grant now and then; one that may no longer bind gets none and is unbound.
            var buffer = new byte[64];
            int read;
            while ((read = await control.ReadAsync(buffer).ConfigureAwait(false)) > 0
                && !buffer.AsSpan(0, read).ContainsAnyExcept(BindControl.RenewRequest)
                && _authority.IssueBindGrant(session.Caller, request.Service) is { } renewed)
            {
                await BindControl.WriteGrantAsync(control, renewed).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The binder or its session went away.
        }
        finally
        {
            RemoveTerminator(terminator);
            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task DialAsync(RouterSession session, MuxIncomingStream incoming, RouterRequest request, CancellationToken cancellationToken)
    {
        if (!_authority.CanDial(session.Caller.Name, request.Service))
        {
            RouterLog.Denied(_logger, session.Caller.Name, "dial", request.Service);
            await incoming.RejectAsync($"not authorized: identity '{session.Caller.Name}' may not dial service '{request.Service}'").ConfigureAwait(false);
            return;
        }

        // A binder that fails the open (gone a moment ago) is dropped and the next one tried.
        for (var tries = 0; tries < 3; tries++)
        {
            var terminator = Choose(request.Service);
            if (terminator is null)
            {
                await incoming.RejectAsync($"no terminator: service '{request.Service}' has no live binder").ConfigureAwait(false);
                return;
            }

            var dialGrant = _authority.IssueDialGrant(session.Caller, request.Service);
            if (dialGrant is null)
            {
                await incoming.RejectAsync($"not authorized: identity '{session.Caller.Name}' may not dial service '{request.Service}'").ConfigureAwait(false);
                return;
            }

            MuxStream toBinder;
            try
            {
                var forward = new RouterRequest { Op = RouterRequest.Dial, Service = request.Service, Grant = dialGrant };
                toBinder = await terminator.Owner.Mux.OpenStreamAsync(forward.ToBytes(), cancellationToken).ConfigureAwait(false);
            }
            catch (MuxStreamRejectedException rejected)
            {
                await incoming.RejectAsync($"refused by the binder: {rejected.Reason}").ConfigureAwait(false);
                return;
            }
            catch (IOException)
            {
                RemoveTerminator(terminator);
                continue;
            }

            var fromDialer = await incoming.AcceptAsync().ConfigureAwait(false);
            Interlocked.Increment(ref terminator.ActiveDials);
            try
            {
                await Task.WhenAll(PumpAsync(fromDialer, toBinder), PumpAsync(toBinder, fromDialer)).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref terminator.ActiveDials);
                await fromDialer.DisposeAsync().ConfigureAwait(false);
                await toBinder.DisposeAsync().ConfigureAwait(false);
            }

            return;
        }

        await incoming.RejectAsync($"no terminator: every binder of service '{request.Service}' went away").ConfigureAwait(false);
    }

    /// <summary>Copies one direction until its end, then half-closes the other side; an error aborts both.</summary>
    private async Task PumpAsync(MuxStream source, MuxStream destination)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                ForwardTap?.Invoke(buffer.AsMemory(0, read));
                await destination.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                Interlocked.Add(ref _forwardedBytes, read);
            }

            await destination.CompleteWritesAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            source.Abort("the other end of the stream failed");
            destination.Abort("the other end of the stream failed");
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Terminator? Choose(string service)
    {
        if (!_terminators.TryGetValue(service, out var set))
        {
            return null;
        }

        var live = set.Keys.Where(t => !t.Owner.Mux.Completion.IsCompleted).ToArray();
        if (live.Length == 0)
        {
            return null;
        }

        switch (_options.Strategy)
        {
            case TerminatorStrategy.Random:
                return live[System.Random.Shared.Next(live.Length)];
            case TerminatorStrategy.Weighted:
                var ticket = System.Random.Shared.Next(live.Sum(t => t.Weight));
                foreach (var terminator in live)
                {
                    ticket -= terminator.Weight;
                    if (ticket < 0)
                    {
                        return terminator;
                    }
                }

                return live[^1];
            default:
                // One reading of each count: they change under concurrent dials, and two readings
                // could leave no terminator matching the minimum.
                var loads = live.Select(t => (Terminator: t, Dials: Volatile.Read(ref t.ActiveDials))).ToArray();
                var fewest = loads.Min(l => l.Dials);
                var candidates = loads.Where(l => l.Dials == fewest).ToArray();
                return candidates[System.Random.Shared.Next(candidates.Length)].Terminator;
        }
    }

    private void RemoveTerminator(Terminator terminator)
    {
        if (_terminators.TryGetValue(terminator.Service, out var set) && set.TryRemove(terminator, out _))
        {
            RouterLog.Unbound(_logger, terminator.Owner.Caller.Name, terminator.Service);
        }
    }

    private void RemoveTerminatorsOf(RouterSession session)
    {
        foreach (var set in _terminators.Values)
        {
            foreach (var terminator in set.Keys.Where(t => t.Owner == session))
            {
                RemoveTerminator(terminator);
            }
        }
    }

    /// <summary>Closes the sessions of identities revoked by another process (the event only reaches this one).</summary>
    private async Task SweepRevocationsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.RevocationSweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var name in _sessions.Keys.Select(s => s.Caller.Name).Distinct().Where(_authority.IsRevoked).ToArray())
                {
                    CloseSessionsOf(name);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The router is stopping.
        }
    }

    /// <summary>Revocation: the identity's sessions are closed at once, streams and binds with them.</summary>
    private void CloseSessionsOf(string identity)
    {
        foreach (var session in _sessions.Keys.Where(s => s.Caller.Name == identity))
        {
            RouterLog.ClosedRevoked(_logger, identity);
            RemoveTerminatorsOf(session);
            _ = session.Mux.DisposeAsync().AsTask();
        }
    }
}
