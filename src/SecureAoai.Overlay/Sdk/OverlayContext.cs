using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay;

/// <summary>
/// An enrolled identity's view of the overlay: dial services by name, bind services to serve them.
/// One TLS connection to the router carries every stream; it is reopened with backoff when lost,
/// and every bind is registered again by itself. Fully asynchronous.
/// </summary>
public sealed class OverlayContext : IAsyncDisposable
{
    private readonly OverlayIdentity _identity;
    private readonly OverlayContextOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<OverlayListener, byte> _listeners = new();
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private MuxSession? _session;
    private Task _maintenance = Task.CompletedTask;
    private string? _routerAddress;
    private int _disposed;
    private bool _ownsIdentity;

    private OverlayContext(OverlayIdentity identity, OverlayContextOptions options, ILogger logger)
    {
        _identity = identity;
        _options = options;
        _logger = logger;
        _routerAddress = options.RouterAddress;
        Grants = new GrantVerifier(identity.CaCertificate, options.TimeProvider);
    }

    /// <summary>The identity this context acts as.</summary>
    public string IdentityName => _identity.Name;

    /// <summary>Checks grants against the identity's own CA, caching what verified.</summary>
    internal GrantVerifier Grants { get; }

    /// <summary>The identity's certificate, with its key.</summary>
    internal X509Certificate2 Certificate => _identity.Certificate;

    internal TimeProvider Time => _options.TimeProvider;

    internal ILogger Logger => _logger;

    /// <summary>Whether the context holds a live connection to the router.</summary>
    public bool IsConnected => Volatile.Read(ref _session) is { IsClosed: false };

    /// <summary>Creates a context for an enrolled identity; it connects on the first dial or bind.</summary>
    /// <param name="identity">The identity (see <see cref="OverlayIdentity.Load"/>).</param>
    /// <param name="options">Settings; the defaults when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where to log; nothing when <see langword="null"/>.</param>
    /// <returns>The context.</returns>
    public static OverlayContext Create(OverlayIdentity identity, OverlayContextOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return new OverlayContext(identity, options ?? new OverlayContextOptions(), (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SecureAoai.Overlay"));
    }

    /// <summary>Creates a context from an identity file written by <c>secureaoai overlay enroll</c>; the context owns the loaded identity.</summary>
    /// <param name="identityFile">The identity file (mode 0600).</param>
    /// <param name="options">Settings; the defaults when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Where to log; nothing when <see langword="null"/>.</param>
    /// <returns>The context.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist; the message says how to enroll.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, readable by others, or its key does not match.</exception>
    public static OverlayContext FromIdentityFile(string identityFile, OverlayContextOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        var context = Create(OverlayIdentity.Load(identityFile), options, loggerFactory);
        context._ownsIdentity = true;
        return context;
    }

    /// <summary>Opens a stream to <paramref name="service"/>, sealed end to end with its binder.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="OverlayDialException">Not authorized (or no such service), no binder, busy, router unreachable, or refused; <see cref="OverlayDialException.Reason"/> says which.</exception>
    public async Task<OverlayStream> DialAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var session = await SessionAsync(service, cancellationToken).ConfigureAwait(false);
        MuxStream stream;
        try
        {
            stream = await session.OpenStreamAsync(new RouterRequest { Op = RouterRequest.Dial, Service = service }.ToBytes(), cancellationToken).ConfigureAwait(false);
        }
        catch (MuxStreamRejectedException rejected)
        {
            throw new OverlayDialException(service, FailureOf(rejected), $"Dial of '{service}' as '{IdentityName}' failed: {rejected.Reason}.", rejected);
        }
        catch (IOException ex) when (ex is not OverlayDialException)
        {
            throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"Dial of '{service}' failed: the connection to the router was lost ({ex.Message}).", ex);
        }

        try
        {
            // The far end must prove, without the router's word, that it is an identity the controller
            // lets bind this service: a bind grant for exactly the certificate whose key it signs with.
            OverlayGrant? binder = null;
            var sealedStream = await E2eHandshake.RunAsync(
                stream, isDialer: true, _identity.Certificate, _identity.CaCertificate, service, ReadOnlyMemory<byte>.Empty,
                (peer, grant) => binder = Grants.VerifyPeer(peer, grant.Span, GrantKind.Bind, service),
                cancellationToken).ConfigureAwait(false);
            return new OverlayStream(sealedStream, () => sealedStream.CompleteWritesAsync(), service, new OverlayCaller(binder!.IdentityName, binder.Roles));
        }
        catch (AuthenticationException ex)
        {
            stream.Abort("the binder is not entitled to bind the service");
            throw new OverlayDialException(service, OverlayDialFailure.BinderNotEntitled, $"Dial of '{service}' as '{IdentityName}' refused: the far end is not an identity entitled to bind '{service}'. {ex.Message} The router at {_routerAddress} may be compromised or misconfigured; nothing was sent.", ex);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException)
        {
            stream.Abort("end-to-end handshake failed");
            throw new OverlayDialException(service, OverlayDialFailure.Refused, $"Dial of '{service}' failed: the end-to-end handshake with the binder failed ({ex.Message}).", ex);
        }
    }

    /// <summary>Binds <paramref name="service"/>: this identity serves its dials until the listener is disposed.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="cancellationToken">Cancels the bind.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="OverlayDialException">Not authorized to bind (or no such service), busy, or the router is unreachable.</exception>
    public async Task<OverlayListener> BindAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var listener = new OverlayListener(this, service, _options.MaxPendingAccepts);
        var session = await SessionAsync(service, cancellationToken).ConfigureAwait(false);
        await RegisterAsync(session, listener, cancellationToken).ConfigureAwait(false);
        _listeners.TryAdd(listener, 0);
        return listener;
    }

    /// <summary>Closes the connection to the router; listeners and connections end with it.</summary>
    /// <returns>A task that completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners.Keys)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _session, null) is { } session)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _maintenance.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Reconnecting was under way and failed: nothing left to reconnect.
        }

        _connectGate.Dispose();
        _stop.Dispose();
        if (_ownsIdentity)
        {
            _identity.Dispose();
        }
    }

    internal void Forget(OverlayListener listener) => _listeners.TryRemove(listener, out _);

    /// <summary>
    /// Who calls, with which roles: the dial's controller-signed dial grant (signer, signature, kind,
    /// service, validity), never the router's word. <see langword="null"/>, with the dial refused, when
    /// it carries no valid one.
    /// </summary>
    internal async Task<OverlayGrant?> VerifyDialGrantAsync(OverlayListener listener, MuxIncomingStream incoming)
    {
        try
        {
            return Grants.Verify(RouterRequest.TryParse(incoming.Metadata.Span)?.Grant, GrantKind.Dial, listener.Service);
        }
        catch (AuthenticationException ex)
        {
            OverlayLog.DialGrantRefused(_logger, listener.Service, ex.Message);
            await incoming.RejectAsync("refused: the dial carries no valid dial grant").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// Runs the binder's side of the end-to-end handshake for one dial whose grant named
    /// <paramref name="caller"/>; <see langword="null"/> when it fails.
    /// </summary>
    internal async Task<OverlayStream?> AcceptDialAsync(OverlayListener listener, MuxIncomingStream incoming, OverlayGrant caller, CancellationToken cancellationToken)
    {
        // The handshake proves the caller holds the key of the certificate its grant names.
        var stream = await incoming.AcceptAsync().ConfigureAwait(false);
        try
        {
            var sealedStream = await E2eHandshake.RunAsync(
                stream, isDialer: false, _identity.Certificate, _identity.CaCertificate, listener.Service, listener.BindGrant,
                (peer, _) => GrantVerifier.VerifyHolder(peer, caller),
                cancellationToken).ConfigureAwait(false);
            return new OverlayStream(sealedStream, () => sealedStream.CompleteWritesAsync(), listener.Service, new OverlayCaller(caller.IdentityName, caller.Roles));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong (a vanished caller, a bad proof, the handshake's own timeout), this
            // dial alone is dropped; the listener goes on.
            OverlayLog.HandshakeFailed(_logger, listener.Service, caller.IdentityName, ex.Message);
            stream.Abort("end-to-end handshake failed");
            return null;
        }
    }

    private async Task RegisterAsync(MuxSession session, OverlayListener listener, CancellationToken cancellationToken)
    {
        MuxStream control;
        try
        {
            control = await session.OpenStreamAsync(new RouterRequest { Op = RouterRequest.Bind, Service = listener.Service }.ToBytes(), cancellationToken).ConfigureAwait(false);
        }
        catch (MuxStreamRejectedException rejected)
        {
            throw new OverlayDialException(listener.Service, FailureOf(rejected), $"Bind of '{listener.Service}' as '{IdentityName}' failed: {rejected.Reason}.", rejected);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await listener.AttachAsync(control, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            control.Abort("no valid bind grant");
            var why = ex is OperationCanceledException ? $"no bind grant arrived within {_options.ConnectTimeout.TotalSeconds} s" : ex.Message;
            throw new OverlayDialException(listener.Service, OverlayDialFailure.Refused, $"Bind of '{listener.Service}' as '{IdentityName}' failed: the router gave no valid bind grant ({why}). Dialers would refuse this binder; the router may be older than this SDK, compromised or misconfigured.", ex);
        }
    }

    /// <summary>What a refusal means, from the reason code on the wire; the words are only shown.</summary>
    private static OverlayDialFailure FailureOf(MuxStreamRejectedException rejected) => rejected.Code switch
    {
        ReasonCode.NotAuthorized => OverlayDialFailure.NotAuthorized,
        ReasonCode.NoTerminator => OverlayDialFailure.NoTerminator,
        ReasonCode.Busy => OverlayDialFailure.Busy,
        ReasonCode.ControllerUnreachable => OverlayDialFailure.ControllerUnreachable,
        _ => OverlayDialFailure.Refused,
    };

    /// <summary>The live session, connecting first if there is none.</summary>
    private async Task<MuxSession> SessionAsync(string service, CancellationToken cancellationToken)
    {
        // A session that got its GoAway is gone, even while its loops still finish: a dial then reconnects.
        if (Volatile.Read(ref _session) is { IsClosed: false } live)
        {
            return live;
        }

        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _session) is { IsClosed: false } connected)
            {
                return connected;
            }

            try
            {
                var session = await ConnectAsync(service, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _session, session);
                _maintenance = MaintainAsync(session);
                return session;
            }
            catch (Exception ex) when (ex is not OverlayDialException && (ex is SocketException or IOException or AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"The overlay router at {_routerAddress ?? "(unknown)"} could not be reached: {ex.Message}", ex);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task<MuxSession> ConnectAsync(string service, CancellationToken cancellationToken)
    {
        var address = _routerAddress ??= await DiscoverRouterAsync(cancellationToken).ConfigureAwait(false);
        var (host, port) = SplitHostPort(address);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SslStream? ssl = null;
        string? refused = null;
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = host,
                    ClientCertificates = [_identity.Certificate],
                    EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
                    // A router's certificate is a router's server certificate: neither an identity's client
                    // certificate nor the controller's server certificate from the same CA makes a router.
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                        OverlayTrust.ChainsToRouter(certificate, _identity.CaCertificate, errors, out refused),
                },
                timeout.Token).ConfigureAwait(false);
        }
        catch (AuthenticationException ex) when (!string.IsNullOrEmpty(refused))
        {
            await ssl!.DisposeAsync().ConfigureAwait(false);
            throw new OverlayDialException(service, OverlayDialFailure.RouterNotTrusted, $"The party at {address} is not an overlay router: {refused}. Check the router address (OverlayContextOptions.RouterAddress, or the controller's list of routers).", ex);
        }
        catch
        {
            if (ssl is not null)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }

        var session = new MuxSession(ssl, _options.Mux, isInitiator: true, _logger);
        _ = session.RunAsync(CancellationToken.None);
        _ = AcceptLoopAsync(session);
        OverlayLog.Connected(_logger, IdentityName, address);
        return session;
    }

    /// <summary>Dispatches the router's dials to the listener of their service.</summary>
    private async Task AcceptLoopAsync(MuxSession session)
    {
        while (true)
        {
            MuxIncomingStream? incoming;
            try
            {
                incoming = await session.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (incoming is null)
            {
                return;
            }

            var request = RouterRequest.TryParse(incoming.Metadata.Span);
            var listener = request is null ? null : _listeners.Keys.FirstOrDefault(l => l.Service == request.Service && !l.IsDisposed);
            if (listener is null)
            {
                await incoming.RejectAsync($"service '{request?.Service}' is not bound by '{IdentityName}'").ConfigureAwait(false);
                continue;
            }

            await listener.OfferAsync(incoming).ConfigureAwait(false);
        }
    }

    /// <summary>When the session ends: reconnect with backoff and bind every listener again.</summary>
    private async Task MaintainAsync(MuxSession session)
    {
        try
        {
            await session.Completion.WaitAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The session failed rather than closed, whatever the cause: reconnect all the same.
            OverlayLog.SessionFailed(_logger, IdentityName, ex.GetType().Name);
        }

        foreach (var listener in _listeners.Keys)
        {
            listener.Detach();
        }

        OverlayLog.Disconnected(_logger, IdentityName);
        var delay = _options.ReconnectMinDelay;
        while (!_stop.IsCancellationRequested && !_listeners.IsEmpty)
        {
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                var fresh = await SessionAsync("(reconnect)", _stop.Token).ConfigureAwait(false);
                foreach (var listener in _listeners.Keys.Where(l => !l.IsDisposed))
                {
                    await RegisterAsync(fresh, listener, _stop.Token).ConfigureAwait(false);
                }

                OverlayLog.Rebound(_logger, IdentityName, _listeners.Count);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is OverlayDialException or IOException)
            {
                OverlayLog.ReconnectFailed(_logger, IdentityName, delay.TotalMilliseconds, ex.Message);
                delay = delay * 2 < _options.ReconnectMaxDelay ? delay * 2 : _options.ReconnectMaxDelay;
            }
        }
    }

    /// <summary>Asks the controller (mutual TLS, the identity's certificate) which router to use.</summary>
    private async Task<string> DiscoverRouterAsync(CancellationToken cancellationToken)
    {
        var session = await ControllerClient.GetSessionAsync(_identity, cancellationToken).ConfigureAwait(false);
        return session.Routers.Count > 0
            ? session.Routers[0].Address
            : throw new IOException($"The controller at {_identity.ControllerAddress} names no router '{IdentityName}' may use: none is enrolled and listening, or no router policy admits this identity. Ask the overlay's administrator, or set OverlayContextOptions.RouterAddress.");
    }

    private static (string Host, int Port) SplitHostPort(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"Router address '{address}' is not HOST:PORT.");
        }

        return (address[..colon].Trim('[', ']'), port);
    }
}
