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
    /// <summary>How many binders one dial asks before it is refused; each may take up to BinderOpenTimeout.</summary>
    internal const int MaxTerminatorsTriedPerDial = 3;

    private readonly IRouterAuthority _authority;
    private readonly X509Certificate2 _serverCertificate;
    private readonly OverlayRouterOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Terminator, byte>> _terminators = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RouterSession, byte> _sessions = new();
    private readonly SessionAdmission _admission;
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
        _options.Validate();
        _admission = new SessionAdmission(_options);
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

    /// <summary>The sessions of <paramref name="identity"/>, for tests that watch what the router holds for one party.</summary>
    internal IReadOnlyList<MuxSession> SessionsOf(string identity) =>
        [.. _sessions.Keys.Where(s => s.Caller.Name == identity).Select(s => s.Mux)];

    /// <summary>The dials each live binder of <paramref name="service"/> counts (pending opens included), by binder identity.</summary>
    internal IReadOnlyList<(string Binder, int ActiveDials)> TerminatorLoads(string service) =>
        _terminators.TryGetValue(service, out var set) ? [.. set.Keys.Select(t => (t.Owner.Caller.Name, Volatile.Read(ref t.ActiveDials)))] : [];

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
        if (await HandshakeAsync(socket, cancellationToken).ConfigureAwait(false) is not { } accepted)
        {
            return;
        }

        var (ssl, caller) = accepted;
        if (!_admission.TryAddSession(caller.Name))
        {
            RouterLog.Refused(_logger, caller.Name, $"it already has {_options.MaxSessionsPerIdentity} sessions (MaxSessionsPerIdentity)");
            await RefuseAsync(ssl, ReasonCode.Busy, $"identity '{caller.Name}' already has {_options.MaxSessionsPerIdentity} sessions on this router, its limit (MaxSessionsPerIdentity)", cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await RunSessionAsync(ssl, caller, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _admission.RemoveSession(caller.Name);
        }
    }

    /// <summary>
    /// The TLS handshake (within HandshakeTimeout, at most MaxConcurrentHandshakes at once) and who the
    /// certificate belongs to; <see langword="null"/>, with the connection closed, when either fails.
    /// </summary>
    private async Task<(SslStream Ssl, RouterCaller Caller)?> HandshakeAsync(Socket socket, CancellationToken cancellationToken)
    {
        if (!_admission.TryStartHandshake())
        {
            // Closed before any TLS work: what an unauthenticated flood can make the router spend stays bounded.
            RouterLog.HandshakeCapReached(_logger, _options.MaxConcurrentHandshakes);
            socket.Dispose();
            return null;
        }

        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
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
            finally
            {
                _admission.EndHandshake();
            }

            using var certificate = new X509Certificate2(ssl.RemoteCertificate!);
            RouterCaller? caller;
            try
            {
                caller = await _authority.AuthenticateAsync(certificate, cancellationToken).ConfigureAwait(false);
            }
            catch (RouterAuthorityUnavailableException unavailable)
            {
                RouterLog.Refused(_logger, certificate.Subject, unavailable.Message);
                await RefuseAsync(ssl, ReasonCode.ControllerUnreachable, unavailable.Message, cancellationToken).ConfigureAwait(false);
                return null;
            }

            if (caller is null || !_authority.CanUseRouter(caller.Name))
            {
                var why = caller is null ? "unknown or revoked identity, or no router policy admits it" : "no router policy admits it";
                RouterLog.Refused(_logger, certificate.Subject, why);
                await RefuseAsync(ssl, ReasonCode.NotAuthorized, $"not authorized: {why}", cancellationToken).ConfigureAwait(false);
                return null;
            }

            return (ssl, caller);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            RouterLog.HandshakeFailed(_logger, ex.Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Tells an authenticated party why it may not have a session (a GoAway with a reason code its dials fail with), then closes.</summary>
    private async Task RefuseAsync(SslStream ssl, ReasonCode code, string reason, CancellationToken cancellationToken)
    {
        var mux = new MuxSession(ssl, _options.Mux, isInitiator: false, _logger);
        mux.Refuse(code, reason);
        await mux.RunAsync(cancellationToken).ConfigureAwait(false);
        await mux.DisposeAsync().ConfigureAwait(false);
    }

    private async Task RunSessionAsync(SslStream ssl, RouterCaller caller, CancellationToken cancellationToken)
    {
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

            // The grant is the authorization: the controller issues one only to an identity that is known,
            // not revoked, and allowed by policy to dial or bind this service, and never for a service
            // that does not exist. So one lookup answers all of it, a missing name gets the same answer
            // as a forbidden one (names cannot be probed), and revocation by another process applies at
            // the next request (the controller re-reads its store when it changed), not at the sweep.
            var caller = session.Caller.Name;
            byte[]? grant;
            try
            {
                grant = request.Op == RouterRequest.Bind
                    ? await _authority.IssueBindGrantAsync(session.Caller, request.Service, cancellationToken).ConfigureAwait(false)
                    : await _authority.IssueDialGrantAsync(session.Caller, request.Service, cancellationToken).ConfigureAwait(false);
            }
            catch (RouterAuthorityUnavailableException unavailable)
            {
                await incoming.RejectAsync(ReasonCode.ControllerUnreachable, unavailable.Message).ConfigureAwait(false);
                return;
            }

            if (grant is null)
            {
                RouterLog.Denied(_logger, caller, request.Op, request.Service);
                await incoming.RejectAsync(ReasonCode.NotAuthorized, $"not authorized: identity '{caller}' may not {request.Op} service '{request.Service}', or there is no such service").ConfigureAwait(false);
                return;
            }

            if (request.Op == RouterRequest.Bind)
            {
                await BindAsync(session, incoming, request, grant).ConfigureAwait(false);
            }
            else
            {
                await DialAsync(session, incoming, request, grant, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Registers a terminator for as long as the binder holds its control stream open, after sending it
    /// <paramref name="grant"/>. Policy was checked on this bind (its grant), not only at connect, so a
    /// policy change applies at once; each renewal checks it again.
    /// </summary>
    private async Task BindAsync(RouterSession session, MuxIncomingStream incoming, RouterRequest request, byte[] grant)
    {
        var control = await incoming.AcceptAsync().ConfigureAwait(false);
        var terminator = new Terminator(request.Service, session, control, request.Weight);
        try
        {
            // The grant goes out before the terminator exists, so it reaches the binder before any dial.
            await BindControl.WriteGrantAsync(control, grant).ConfigureAwait(false);
            _terminators.GetOrAdd(request.Service, static _ => new()).TryAdd(terminator, 0);
            RouterLog.Bound(_logger, session.Caller.Name, request.Service);

            // The binder holds its control stream open while it serves; it closes it (or writes anything
            // but a renewal request) to unbind. It asks for a fresh grant now and then; one that may no
            // longer bind gets none, and its control stream is reset with NotAuthorized.
            var buffer = new byte[64];
            int read;
            while ((read = await control.ReadAsync(buffer).ConfigureAwait(false)) > 0
                && !buffer.AsSpan(0, read).ContainsAnyExcept(BindControl.RenewRequest))
            {
                byte[]? renewed;
                try
                {
                    renewed = await _authority.IssueBindGrantAsync(session.Caller, request.Service, _stop.Token).ConfigureAwait(false);
                }
                catch (RouterAuthorityUnavailableException unavailable)
                {
                    control.Abort(ReasonCode.ControllerUnreachable, unavailable.Message);
                    break;
                }

                if (renewed is null)
                {
                    RouterLog.Denied(_logger, session.Caller.Name, RouterRequest.Bind, request.Service);
                    control.Abort(ReasonCode.NotAuthorized, $"not authorized: identity '{session.Caller.Name}' may no longer bind service '{request.Service}'");
                    break;
                }

                await BindControl.WriteGrantAsync(control, renewed).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The binder or its session went away.
        }
        finally
        {
            // The one place a terminator leaves, besides its session ending: never because a dial failed.
            RemoveTerminator(terminator);
            await control.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Joins a dial to a binder: up to <see cref="MaxTerminatorsTriedPerDial"/> binders are asked in
    /// turn, each counted as loaded (ActiveDials) from the moment it is asked. A binder at its limit or
    /// slower than BinderOpenTimeout is busy, and the next is tried; none of this unbinds anyone. Every
    /// binder asked gets the same <paramref name="grant"/>, the dialer's dial grant, and learns who
    /// calls from it alone.
    /// </summary>
    private async Task DialAsync(RouterSession session, MuxIncomingStream incoming, RouterRequest request, byte[] grant, CancellationToken cancellationToken)
    {
        var metadata = new RouterRequest { Op = RouterRequest.Dial, Service = request.Service, Grant = grant }.ToBytes();
        var tried = new List<Terminator>(MaxTerminatorsTriedPerDial);
        string? busy = null;
        string? refused = null;
        while (tried.Count < MaxTerminatorsTriedPerDial && !incoming.IsAbandoned)
        {
            var terminator = Choose(request.Service, tried);
            if (terminator is null)
            {
                break;
            }

            tried.Add(terminator);
            Interlocked.Increment(ref terminator.ActiveDials);
            try
            {
                MuxStream toBinder;
                try
                {
                    toBinder = await OpenToBinderAsync(terminator, metadata, cancellationToken).ConfigureAwait(false);
                }
                catch (MuxStreamRejectedException rejected) when (rejected.Code == ReasonCode.Busy)
                {
                    busy = rejected.Reason;
                    continue;
                }
                catch (MuxStreamRejectedException rejected)
                {
                    refused = rejected.Reason;
                    continue;
                }
                catch (IOException)
                {
                    // The binder's session ended; its own cleanup removes its terminators.
                    continue;
                }

                await ForwardAsync(incoming, toBinder).ConfigureAwait(false);
                return;
            }
            finally
            {
                Interlocked.Decrement(ref terminator.ActiveDials);
            }
        }

        if (incoming.IsAbandoned)
        {
            return;
        }

        if (busy is not null)
        {
            await incoming.RejectAsync(ReasonCode.Busy, $"busy: no binder of service '{request.Service}' could take the dial now ({busy})").ConfigureAwait(false);
        }
        else if (refused is not null)
        {
            await incoming.RejectAsync(ReasonCode.Refused, $"refused by the binder: {refused}").ConfigureAwait(false);
        }
        else
        {
            await incoming.RejectAsync(ReasonCode.NoTerminator, $"no terminator: service '{request.Service}' has no live binder").ConfigureAwait(false);
        }
    }

    /// <summary>Opens the stream to a binder, waiting at most BinderOpenTimeout for its answer.</summary>
    /// <exception cref="MuxStreamRejectedException">The binder refused, is at its stream limit, or did not answer in time (code Busy).</exception>
    /// <exception cref="IOException">The binder's session ended.</exception>
    private async Task<MuxStream> OpenToBinderAsync(Terminator terminator, byte[] metadata, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.BinderOpenTimeout);
        try
        {
            return await terminator.Owner.Mux.OpenStreamAsync(metadata, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // OpenStreamAsync reset the open, so the binder's slot is freed when the reset reaches it.
            RouterLog.BinderSlow(_logger, terminator.Owner.Caller.Name, terminator.Service, _options.BinderOpenTimeout.TotalSeconds);
            throw new MuxStreamRejectedException($"a binder did not answer within {_options.BinderOpenTimeout.TotalSeconds:0.###} s (BinderOpenTimeout)", ReasonCode.Busy);
        }
    }

    /// <summary>Accepts the dialer's stream and relays both ways; whatever fails, the binder's stream is released with it.</summary>
    private async Task ForwardAsync(MuxIncomingStream incoming, MuxStream toBinder)
    {
        MuxStream fromDialer;
        try
        {
            fromDialer = await incoming.AcceptAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // The dialer gave up while the binder answered: the binder must not keep a stream nobody will use.
            toBinder.Abort("the dialer went away");
            return;
        }

        try
        {
            await Task.WhenAll(PumpAsync(fromDialer, toBinder), PumpAsync(toBinder, fromDialer)).ConfigureAwait(false);
        }
        finally
        {
            await fromDialer.DisposeAsync().ConfigureAwait(false);
            await toBinder.DisposeAsync().ConfigureAwait(false);
        }
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

    private Terminator? Choose(string service, List<Terminator> exclude)
    {
        if (!_terminators.TryGetValue(service, out var set))
        {
            return null;
        }

        var live = set.Keys.Where(t => !t.Owner.Mux.IsClosed && !exclude.Contains(t)).ToArray();
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
