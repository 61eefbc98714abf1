using System.Security.Authentication;
using System.Threading.Channels;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay;

/// <summary>
/// A bound service: dials arrive through <see cref="AcceptAsync"/>, each with its caller. The bind
/// survives losing the router: the context reconnects and binds again by itself.
/// </summary>
/// <remarks>
/// Each dial's end-to-end handshake runs as soon as the dial arrives, at most
/// <see cref="MaxConcurrentHandshakes"/> at a time and at most <see cref="MaxConcurrentHandshakesPerCaller"/>
/// of them for one caller, so one slow, vanished or hostile caller never holds up the others;
/// <see cref="AcceptAsync"/> hands out the dials whose handshake succeeded. The listener holds the
/// controller-signed bind grant it shows dialers, and asks the router for a fresh one when half of
/// its lifetime has passed.
/// </remarks>
public sealed class OverlayListener : IAsyncDisposable
{
    /// <summary>The most end-to-end handshakes in progress at once; more dials wait for a slot.</summary>
    public const int MaxConcurrentHandshakes = 64;

    /// <summary>
    /// The most of those slots one caller (identity, as its dial grant names it) may hold; its further
    /// dials wait for its own slots, so a caller whose dials never send their hello holds at most this many.
    /// </summary>
    public const int MaxConcurrentHandshakesPerCaller = 16;

    private readonly OverlayContext _context;
    private readonly Channel<OverlayStream> _ready;
    private readonly SemaphoreSlim _handshakes = new(MaxConcurrentHandshakes, MaxConcurrentHandshakes);
    private readonly CallerSlots _callerSlots = new(MaxConcurrentHandshakesPerCaller);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _maxPending;
    private MuxStream? _control;
    private byte[]? _bindGrant;
    private CancellationTokenSource? _renewal;
    private TaskCompletionSource<OverlayGrant> _nextGrant = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;
    private int _disposed;

    internal OverlayListener(OverlayContext context, string service, int maxPendingAccepts)
    {
        _context = context;
        Service = service;
        _maxPending = maxPendingAccepts;
        _ready = Channel.CreateUnbounded<OverlayStream>();
    }

    /// <summary>The service bound.</summary>
    public string Service { get; }

    /// <summary>Whether the bind is registered at the router right now (false while reconnecting).</summary>
    public bool IsBound => Volatile.Read(ref _control) is not null;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Waits for the next dial whose end-to-end handshake succeeded.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The connection; its <see cref="OverlayStream.Peer"/> is the caller.</returns>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public async ValueTask<OverlayStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Decrement(ref _pending);
            return stream;
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException($"The listener of '{Service}' is closed.", ex);
        }
    }

    /// <summary>Unbinds: the router stops sending dials; connections already accepted stay open.</summary>
    /// <returns>A task that completes when the bind is released.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _renewal, null)?.Dispose();
        _ready.Writer.TryComplete();
        _context.Forget(this);
        if (Interlocked.Exchange(ref _control, null) is { } control)
        {
            await control.DisposeAsync().ConfigureAwait(false);
        }

        while (_ready.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The bind grant this binder shows dialers, as the router last handed it out.</summary>
    internal ReadOnlyMemory<byte> BindGrant => Volatile.Read(ref _bindGrant) ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>Completes with the next bind grant received (for tests of renewal).</summary>
    internal Task<OverlayGrant> NextGrantAsync() => Volatile.Read(ref _nextGrant).Task;

    /// <summary>
    /// Takes the control stream of a bind the router accepted: reads and checks the first bind grant,
    /// then keeps it fresh in the background.
    /// </summary>
    /// <exception cref="AuthenticationException">The router's grant does not entitle this identity to bind the service.</exception>
    /// <exception cref="IOException">The router closed the bind or sent no grant.</exception>
    internal async Task AttachAsync(MuxStream control, CancellationToken cancellationToken)
    {
        var first = await BindControl.ReadGrantAsync(control, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("the router accepted the bind but closed it without a bind grant");
        var grant = Hold(first);
        Detach();
        var renewal = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        Volatile.Write(ref _renewal, renewal);
        Volatile.Write(ref _control, control);
        _ = KeepGrantFreshAsync(control, grant, renewal.Token);
    }

    internal void Detach()
    {
        Volatile.Write(ref _control, null);
        if (Interlocked.Exchange(ref _renewal, null) is { } renewal)
        {
            renewal.Cancel();
            renewal.Dispose();
        }
    }

    /// <summary>Half way through each grant's lifetime, asks the router for a fresh one.</summary>
    private async Task KeepGrantFreshAsync(MuxStream control, OverlayGrant grant, CancellationToken cancellationToken)
    {
        string ended;
        try
        {
            while (true)
            {
                // Measured from receipt on this clock, so a skewed clock delays nothing.
                await Task.Delay(grant.Lifetime / 2, _context.Time, cancellationToken).ConfigureAwait(false);
                await control.WriteAsync(new[] { BindControl.RenewRequest }, cancellationToken).ConfigureAwait(false);
                var next = await BindControl.ReadGrantAsync(control, cancellationToken).ConfigureAwait(false);
                if (next is null)
                {
                    ended = "the router closed it (this identity may no longer bind the service)";
                    break;
                }

                grant = Hold(next);
                OverlayLog.BindGrantRenewed(_context.Logger, Service, grant.ExpiresAt);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or ObjectDisposedException)
        {
            ended = ex.Message;
        }

        OverlayLog.BindEnded(_context.Logger, Service, ended);
        if (Interlocked.CompareExchange(ref _control, null, control) == control)
        {
            control.Abort("the bind ended");
        }
    }

    private OverlayGrant Hold(byte[] bytes)
    {
        var grant = _context.Grants.VerifyPeer(_context.Certificate, bytes, GrantKind.Bind, Service);
        Volatile.Write(ref _bindGrant, bytes);
        Interlocked.Exchange(ref _nextGrant, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(grant);
        return grant;
    }

    /// <summary>Takes a dial: refuses it when too many wait unclaimed, else runs its handshake in the background.</summary>
    internal async ValueTask OfferAsync(MuxIncomingStream incoming)
    {
        if (IsDisposed)
        {
            await incoming.RejectAsync($"service '{Service}' is no longer bound here").ConfigureAwait(false);
            return;
        }

        if (Interlocked.Increment(ref _pending) > _maxPending)
        {
            Interlocked.Decrement(ref _pending);
            await incoming.RejectAsync(ReasonCode.Busy, $"busy: '{Service}' has too many dials waiting").ConfigureAwait(false);
            return;
        }

        _ = Task.Run(() => HandshakeAsync(incoming));
    }

    private async Task HandshakeAsync(MuxIncomingStream incoming)
    {
        OverlayStream? stream = null;
        try
        {
            // Per-caller slots are keyed by the identity in the dial's grant, verified here before the
            // dial waits for anything. Verifying it is local work (one signature check, cached per grant),
            // not a wait on the caller; what the slot bounds is the wait for a hello that may never come,
            // so the slot must be held before the handshake starts, and the grant is all that names the
            // caller by then (the handshake proves later that the caller holds its certificate's key). A
            // forged or missing grant is refused here and takes no slot. Through an honest router a
            // caller's grant is its own, so no caller can use another's slots; a compromised router could
            // replay a victim's grant to hold the victim's slots, but such a router can drop its dials anyway.
            if (await _context.VerifyDialGrantAsync(this, incoming).ConfigureAwait(false) is { } caller)
            {
                // A dial waits for one of its caller's slots, then a shared one. The router gives up on a dial
                // the binder has not taken within its BinderOpenTimeout (a reset); such a dial is dropped
                // here without a handshake once its turn comes.
                using var callerSlot = await _callerSlots.AcquireAsync(caller.IdentityId, _stop.Token).ConfigureAwait(false);
                await _handshakes.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    stream = incoming.IsAbandoned ? null : await _context.AcceptDialAsync(this, incoming, caller, _stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _handshakes.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The listener was disposed while the dial waited.
        }
        catch (IOException)
        {
            // The caller gave up before its dial could be taken.
        }
        finally
        {
            await RejectIfUndecidedAsync(incoming, ReasonCode.Refused, $"service '{Service}' is no longer bound here").ConfigureAwait(false);
        }

        if (stream is null || !_ready.Writer.TryWrite(stream))
        {
            Interlocked.Decrement(ref _pending);
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Refuses a dial nobody took or refused yet, so its stream never lingers at the router or here.</summary>
    private static async Task RejectIfUndecidedAsync(MuxIncomingStream incoming, ReasonCode code, string reason)
    {
        try
        {
            await incoming.RejectAsync(code, reason).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already accepted or refused: that answer stands.
        }
    }
}
