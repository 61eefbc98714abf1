using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay;

/// <summary>
/// The identity's connection to one router, for as long as the context lives: it connects on first use,
/// delivers the router's dials to the bound listeners, opens dials and binds on the session, measures
/// how long the router takes to open a dial, and when the session is lost it reconnects with backoff
/// (<see cref="OverlayContextOptions.ReconnectMinDelay"/> doubling to <see cref="OverlayContextOptions.ReconnectMaxDelay"/>,
/// each wait shortened at random by up to a quarter) and binds every listener again.
/// </summary>
internal sealed class RouterLink : IAsyncDisposable
{
    /// <summary>The weight of the newest sample in <see cref="LatencyMs"/>, an exponentially weighted moving average.</summary>
    internal const double LatencySampleWeight = 0.2;

    private readonly OverlayIdentity _identity;
    private readonly OverlayContextOptions _options;
    private readonly ListenerRegistry _listeners;
    private readonly ILogger _logger;
    private readonly bool _keepConnected;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly SemaphoreSlim _bindGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private MuxSession? _session;
    private Task _maintenance = Task.CompletedTask;
    private int _reconnecting;
    private long _deferredRebindTicks;
    private double _latencyMs = double.NaN;

    /// <summary>
    /// A link to the router at <paramref name="address"/>, not yet connected. With <paramref name="keepConnected"/>
    /// it reconnects after a loss even when no listener is bound: a dialer among several routers keeps every link ready.
    /// </summary>
    public RouterLink(string address, OverlayIdentity identity, OverlayContextOptions options, ListenerRegistry listeners, ILogger logger, bool keepConnected)
    {
        Address = address;
        _identity = identity;
        _options = options;
        _listeners = listeners;
        _logger = logger;
        _keepConnected = keepConnected;
    }

    /// <summary>The router's <c>HOST:PORT</c>.</summary>
    public string Address { get; }

    /// <summary>Whether the link holds a live session with its router.</summary>
    public bool IsConnected => Volatile.Read(ref _session) is { IsClosed: false };

    /// <summary>The moving average of how long the router took to connect and to open dials, in ms; <see cref="double.NaN"/> before the first sample.</summary>
    public double LatencyMs => Volatile.Read(ref _latencyMs);

    /// <summary>Opens a routed stream to a binder of <paramref name="service"/>; the end-to-end handshake is the caller's.</summary>
    /// <exception cref="OverlayDialException">The router refused (its reason code decides the failure), or could not be reached.</exception>
    public async Task<MuxStream> OpenDialAsync(string service, CancellationToken cancellationToken)
    {
        // A session the router is closing (a revocation, a policy change, its shutdown) can still look live
        // here: an Open that fails because that session ended asks once more on a fresh one, so the dial
        // gets the router's own answer (a refusal with its reason, or unreachable) rather than "lost".
        // Nothing of the dial was delivered, so asking again sends nothing twice.
        for (var attempt = 1; ; attempt++)
        {
            var session = await SessionAsync(service, cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var stream = await session.OpenStreamAsync(new RouterRequest { Op = RouterRequest.Dial, Service = service }.ToBytes(), cancellationToken).ConfigureAwait(false);
                Sample(started);
                return stream;
            }
            catch (MuxStreamRejectedException rejected)
            {
                Sample(started);
                throw DialRefusal.Exception(service, "Dial", _identity.Name, rejected);
            }
            catch (IOException) when (attempt == 1 && session.IsClosed && !cancellationToken.IsCancellationRequested)
            {
                // The session ended under this Open: ask again on a fresh one.
            }
            catch (IOException ex) when (ex is not OverlayDialException)
            {
                throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"Dial of '{service}' failed: the connection to the router at {Address} was lost ({ex.Message}).", ex);
            }
        }
    }

    /// <summary>Binds <paramref name="listener"/>'s service at this router (unless it is bound here already) and attaches the bind to the listener.</summary>
    /// <exception cref="OverlayDialException">The router refused the bind or gave no valid bind grant, or could not be reached.</exception>
    public async Task BindAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        var session = await SessionAsync(listener.Service, cancellationToken).ConfigureAwait(false);
        await EnsureBoundAsync(session, listener, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts reconnecting in the background unless that is under way: after the session was lost, or
    /// when a bind could not reach the router, so the bind is registered once the router is back.
    /// </summary>
    public void StartReconnecting() => StartReconnecting(_options.ReconnectMinDelay);

    /// <summary>
    /// A bind here ended while the session lives (the router reset or closed its control stream): binds
    /// every listener that is not bound here again after <paramref name="delay"/>, backing off as a
    /// reconnect does while the router refuses.
    /// </summary>
    public void Rebind(TimeSpan delay)
    {
        // Kept for a pass already under way (this call then starts nothing): its tail goes on after this wait, not the shortest.
        Interlocked.Exchange(ref _deferredRebindTicks, delay.Ticks);
        StartReconnecting(delay);
    }

    /// <summary>The wait before binding again after a bind ended: <see cref="OverlayContextOptions.ReconnectMinDelay"/> at first, then twice <paramref name="previous"/> up to the maximum.</summary>
    public TimeSpan RebindDelayAfter(TimeSpan? previous) => previous is { } last ? NextDelay(last, _options) : _options.ReconnectMinDelay;

    private void StartReconnecting(TimeSpan firstDelay)
    {
        if (!_stop.IsCancellationRequested && Interlocked.Exchange(ref _reconnecting, 1) == 0)
        {
            Interlocked.Exchange(ref _deferredRebindTicks, 0);
            _maintenance = ReconnectAsync(firstDelay);
        }
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
        _bindGate.Dispose();
        _stop.Dispose();
    }

    /// <summary>The wait after <paramref name="delay"/> failed: twice as long, at most <see cref="OverlayContextOptions.ReconnectMaxDelay"/>.</summary>
    internal static TimeSpan NextDelay(TimeSpan delay, OverlayContextOptions options) =>
        delay * 2 < options.ReconnectMaxDelay ? delay * 2 : options.ReconnectMaxDelay;

    /// <summary><paramref name="delay"/> shortened by <paramref name="random"/> (0 to 1) quarters: never longer than asked.</summary>
    internal static TimeSpan Jittered(TimeSpan delay, double random) => delay * (1 - (Math.Clamp(random, 0, 1) / 4));

    /// <summary>Adds one measurement of how long the router took, in ms, to <see cref="LatencyMs"/>.</summary>
    internal void RecordLatency(double ms)
    {
        var last = Volatile.Read(ref _latencyMs);
        Volatile.Write(ref _latencyMs, double.IsNaN(last) ? ms : last + (LatencySampleWeight * (ms - last)));
    }

    private void Sample(long started) => RecordLatency(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

    /// <summary>Binds <paramref name="listener"/> on <paramref name="session"/> unless it is attached here already (a rebind and a first bind may meet).</summary>
    private async Task EnsureBoundAsync(MuxSession session, OverlayListener listener, CancellationToken cancellationToken)
    {
        await _bindGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!listener.BindingAt(this).IsAttached && !listener.IsDisposed)
            {
                await RegisterAsync(session, listener, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _bindGate.Release();
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
            throw DialRefusal.Exception(listener.Service, "Bind", _identity.Name, rejected);
        }
        catch (IOException ex) when (ex is not OverlayDialException)
        {
            throw new OverlayDialException(listener.Service, OverlayDialFailure.RouterUnreachable, $"Bind of '{listener.Service}' failed: the connection to the router at {Address} was lost ({ex.Message}).", ex);
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
            if (session.IsClosed)
            {
                throw new OverlayDialException(listener.Service, OverlayDialFailure.RouterUnreachable, $"Bind of '{listener.Service}' failed: the connection to the router at {Address} was lost ({ex.Message}).", ex);
            }

            var why = ex is OperationCanceledException ? $"no bind grant arrived within {_options.ConnectTimeout.TotalSeconds} s" : ex.Message;
            throw new OverlayDialException(listener.Service, OverlayDialFailure.Refused, $"Bind of '{listener.Service}' as '{_identity.Name}' at the router {Address} failed: the router gave no valid bind grant ({why}). Dialers would refuse this binder; the router may be older than this SDK, compromised or misconfigured.", ex);
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
                var started = Stopwatch.GetTimestamp();
                var session = await RouterConnector.ConnectAsync(Address, _identity, _options, _logger, service, _stop.Token, cancellationToken).ConfigureAwait(false);
                Sample(started);
                _ = session.RunAsync(CancellationToken.None);
                _ = AcceptLoopAsync(session);
                OverlayLog.Connected(_logger, _identity.Name, Address);
                Volatile.Write(ref _session, session);
                _ = WatchAsync(session);
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

    /// <summary>When the session ends: detach every bind made on it and start reconnecting.</summary>
    private async Task WatchAsync(MuxSession session)
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

        OverlayLog.Disconnected(_logger, _identity.Name, Address);
        StartReconnecting();
    }

    /// <summary>Reconnects with capped, jittered backoff while there is a reason to, and binds every listener again.</summary>
    private async Task ReconnectAsync(TimeSpan firstDelay)
    {
        var delay = firstDelay;
        try
        {
            while (!_stop.IsCancellationRequested && (_keepConnected || !_listeners.IsEmpty))
            {
                string? failure;
                try
                {
                    // Shortened at random by up to a quarter: identities that lost the same router do not come back in step.
                    await Task.Delay(Jittered(delay, Random.Shared.NextDouble()), _stop.Token).ConfigureAwait(false);
                    var fresh = await SessionAsync("(reconnect)", _stop.Token).ConfigureAwait(false);
                    (var count, failure) = await BindEveryListenerAsync(fresh).ConfigureAwait(false);
                    if (failure is null)
                    {
                        OverlayLog.Rebound(_logger, _identity.Name, Address, count);
                        break;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex) when (ex is OverlayDialException or IOException)
                {
                    failure = ex.Message;
                }

                delay = NextDelay(delay, _options);
                OverlayLog.ReconnectFailed(_logger, _identity.Name, Address, delay.TotalMilliseconds, failure);
            }
        }
        finally
        {
            Volatile.Write(ref _reconnecting, 0);
        }

        // A session lost, or a bind ended, between the last pass and here found reconnecting still flagged
        // (its StartReconnecting did nothing): go on for it. A pass that bound everything breaks to here.
        if (!_stop.IsCancellationRequested && (!IsConnected || HasUnboundListener()) && (_keepConnected || !_listeners.IsEmpty))
        {
            var deferred = Interlocked.Exchange(ref _deferredRebindTicks, 0);
            StartReconnecting(deferred > 0 ? TimeSpan.FromTicks(deferred) : _options.ReconnectMinDelay);
        }
    }

    /// <summary>
    /// Binds every listener not bound here yet, each on its own: one the router refuses (its policy, a
    /// bad grant) does not keep the others unbound here. Returns how many listeners there are and the first
    /// refusal, if any; a lost session throws.
    /// </summary>
    private async Task<(int Count, string? Refused)> BindEveryListenerAsync(MuxSession session)
    {
        var listeners = _listeners.Snapshot().Where(l => !l.IsDisposed).ToList();
        string? refused = null;
        foreach (var listener in listeners)
        {
            try
            {
                await EnsureBoundAsync(session, listener, _stop.Token).ConfigureAwait(false);
            }
            catch (OverlayDialException ex) when (ex.Reason != OverlayDialFailure.RouterUnreachable)
            {
                refused ??= ex.Message;
            }
        }

        return (listeners.Count, refused);
    }

    private bool HasUnboundListener() => _listeners.Snapshot().Any(l => !l.IsDisposed && !l.BindingAt(this).IsAttached);
}
