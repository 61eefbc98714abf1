using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay;

/// <summary>
/// The identity's connection to one router, for as long as the context lives: it connects on first use,
/// delivers the router's dials to the bound listeners, opens dials and binds on the session, and when
/// the session is lost it reconnects with backoff (<see cref="OverlayContextOptions.ReconnectMinDelay"/>
/// doubling to <see cref="OverlayContextOptions.ReconnectMaxDelay"/>) and binds every listener again.
/// </summary>
internal sealed class RouterLink : IAsyncDisposable
{
    private readonly OverlayIdentity _identity;
    private readonly OverlayContextOptions _options;
    private readonly ListenerRegistry _listeners;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private MuxSession? _session;
    private Task _maintenance = Task.CompletedTask;

    public RouterLink(string address, OverlayIdentity identity, OverlayContextOptions options, ListenerRegistry listeners, ILogger logger)
    {
        Address = address;
        _identity = identity;
        _options = options;
        _listeners = listeners;
        _logger = logger;
    }

    /// <summary>The router's <c>HOST:PORT</c>.</summary>
    public string Address { get; }

    /// <summary>Whether the link holds a live session with its router.</summary>
    public bool IsConnected => Volatile.Read(ref _session) is { IsClosed: false };

    /// <summary>Opens a routed stream to a binder of <paramref name="service"/>; the end-to-end handshake is the caller's.</summary>
    /// <exception cref="OverlayDialException">The router refused (its reason code decides the failure), or could not be reached.</exception>
    public async Task<MuxStream> OpenDialAsync(string service, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(service, cancellationToken).ConfigureAwait(false);
        try
        {
            return await session.OpenStreamAsync(new RouterRequest { Op = RouterRequest.Dial, Service = service }.ToBytes(), cancellationToken).ConfigureAwait(false);
        }
        catch (MuxStreamRejectedException rejected)
        {
            throw DialRefusal.Exception(service, "Dial", _identity.Name, rejected);
        }
        catch (IOException ex) when (ex is not OverlayDialException)
        {
            throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"Dial of '{service}' failed: the connection to the router was lost ({ex.Message}).", ex);
        }
    }

    /// <summary>Binds <paramref name="listener"/>'s service at this router and attaches the bind to the listener.</summary>
    /// <exception cref="OverlayDialException">The router refused the bind or gave no valid bind grant, or could not be reached.</exception>
    public async Task BindAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(listener.Service, cancellationToken).ConfigureAwait(false);
        await RegisterAsync(session, listener, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops reconnecting and delivering dials; <see cref="DisposeAsync"/> then closes the session.</summary>
    public void Stop() => _stop.Cancel();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
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
            throw DialRefusal.Exception(listener.Service, "Bind", _identity.Name, rejected);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        try
        {
            await listener.BindingAt(this).AttachAsync(control, listener.Stopping, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            control.Abort("no valid bind grant");
            var why = ex is OperationCanceledException ? $"no bind grant arrived within {_options.ConnectTimeout.TotalSeconds} s" : ex.Message;
            throw new OverlayDialException(listener.Service, OverlayDialFailure.Refused, $"Bind of '{listener.Service}' as '{_identity.Name}' failed: the router gave no valid bind grant ({why}). Dialers would refuse this binder; the router may be older than this SDK, compromised or misconfigured.", ex);
        }
    }

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
                var session = await RouterConnector.ConnectAsync(Address, _identity, _options, _logger, service, _stop.Token, cancellationToken).ConfigureAwait(false);
                _ = session.RunAsync(CancellationToken.None);
                _ = AcceptLoopAsync(session);
                OverlayLog.Connected(_logger, _identity.Name, Address);
                Volatile.Write(ref _session, session);
                _maintenance = MaintainAsync(session);
                return session;
            }
            catch (Exception ex) when (ex is not OverlayDialException && (ex is SocketException or IOException or AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"The overlay router at {Address} could not be reached: {ex.Message}", ex);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>Delivers the router's dials to the listener of their service.</summary>
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
            if ((request is null ? null : _listeners.Find(request.Service)) is not { } listener)
            {
                await incoming.RejectAsync(ReasonCode.Refused, $"service '{request?.Service}' is not bound by '{_identity.Name}'").ConfigureAwait(false);
                continue;
            }

            await listener.OfferAsync(incoming, listener.BindingAt(this)).ConfigureAwait(false);
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
            OverlayLog.SessionFailed(_logger, _identity.Name, ex.GetType().Name);
        }

        foreach (var listener in _listeners.Snapshot())
        {
            listener.BindingAt(this).Detach();
        }

        OverlayLog.Disconnected(_logger, _identity.Name);
        var delay = _options.ReconnectMinDelay;
        while (!_stop.IsCancellationRequested && !_listeners.IsEmpty)
        {
            try
            {
                await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                var fresh = await SessionAsync("(reconnect)", _stop.Token).ConfigureAwait(false);
                foreach (var listener in _listeners.Snapshot().Where(l => !l.IsDisposed))
                {
                    await RegisterAsync(fresh, listener, _stop.Token).ConfigureAwait(false);
                }

                OverlayLog.Rebound(_logger, _identity.Name, _listeners.Count);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is OverlayDialException or IOException)
            {
                OverlayLog.ReconnectFailed(_logger, _identity.Name, delay.TotalMilliseconds, ex.Message);
                delay = delay * 2 < _options.ReconnectMaxDelay ? delay * 2 : _options.ReconnectMaxDelay;
            }
        }
    }
}
