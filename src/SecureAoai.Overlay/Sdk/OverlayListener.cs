using System.Collections.Concurrent;
using System.Threading.Channels;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// A bound service of the embedded overlay: dials arrive through <see cref="AcceptAsync"/>, each with
/// its caller. The bind is registered on every router the context uses (see <see cref="OverlayContextOptions.MaxBindRouters"/>)
/// and survives losing any of them: the context reconnects and binds there again by itself.
/// </summary>
/// <remarks>
/// Each dial's end-to-end handshake runs as soon as the dial arrives, at most
/// <see cref="MaxConcurrentHandshakes"/> at a time and at most <see cref="MaxConcurrentHandshakesPerCaller"/>
/// of them for one caller, so one slow, vanished or hostile caller never holds up the others;
/// <see cref="AcceptAsync"/> hands out the dials whose handshake succeeded. The listener holds the
/// controller-signed bind grant it shows dialers, and asks the router for a fresh one when half of
/// its lifetime has passed. A router that ends the bind in between (the identity may no longer bind
/// the service) is noticed at once: <see cref="IsBound"/> drops, a warning names the router and why.
/// </remarks>
public sealed class OverlayListener : IOverlayListener
{
    /// <summary>The most end-to-end handshakes in progress at once; more dials wait for a slot.</summary>
    public const int MaxConcurrentHandshakes = 64;

    /// <summary>
    /// The most of those slots one caller (identity, as its dial grant names it) may hold; its further
    /// dials wait for its own slots, so a caller whose dials never send their hello holds at most this many.
    /// </summary>
    public const int MaxConcurrentHandshakesPerCaller = 16;

    private readonly OverlayContext _context;
    private readonly Channel<OverlayStream> _ready = Channel.CreateUnbounded<OverlayStream>();
    private readonly SemaphoreSlim _handshakes = new(MaxConcurrentHandshakes, MaxConcurrentHandshakes);
    private readonly CallerSlots _callerSlots = new(MaxConcurrentHandshakesPerCaller);
    private readonly ConcurrentDictionary<RouterLink, RouterBinding> _bindings = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly int _maxPending;
    private byte[]? _lastGrant;
    private TaskCompletionSource<OverlayGrant> _nextGrant = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;
    private int _disposed;

    internal OverlayListener(OverlayContext context, string service, int maxPendingAccepts)
    {
        _context = context;
        Service = service;
        _maxPending = maxPendingAccepts;
    }

    /// <summary>The service bound.</summary>
    public string Service { get; }

    /// <summary>
    /// Whether the bind is registered at one router or more right now: false while every router is being
    /// reconnected, or has ended the bind (a deleted Bind policy, a revoked identity); it drops as the
    /// router's reset arrives, and the listener binds there again by itself with backoff.
    /// </summary>
    public bool IsBound => _bindings.Values.Any(b => b.IsAttached);

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Stops when the listener is disposed: its renewals and the dials waiting for a handshake slot.</summary>
    internal CancellationToken Stopping => _stop.Token;

    /// <summary>The bind grant this binder shows dialers, as a router last handed it out.</summary>
    internal ReadOnlyMemory<byte> BindGrant => Volatile.Read(ref _lastGrant) ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>Waits for the next dial whose end-to-end handshake succeeded.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The connection, its <see cref="OverlayStream.Peer"/> the caller; <see langword="null"/> once the listener is disposed.</returns>
    public async ValueTask<OverlayStream?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var stream = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Decrement(ref _pending);
            return stream;
        }
        catch (ChannelClosedException)
        {
            // Unbound: the normal end, as Kestrel's listeners report it.
            return null;
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
        _ready.Writer.TryComplete();
        _context.Forget(this);
        foreach (var binding in _bindings.Values)
        {
            await binding.UnbindAsync().ConfigureAwait(false);
        }

        while (_ready.Reader.TryRead(out var unclaimed))
        {
            await unclaimed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Completes with the next bind grant received (for tests of renewal).</summary>
    internal Task<OverlayGrant> NextGrantAsync() => Volatile.Read(ref _nextGrant).Task;

    /// <summary>This listener's bind at <paramref name="link"/>'s router.</summary>
    internal RouterBinding BindingAt(RouterLink link) => _bindings.GetOrAdd(link, static (l, self) => new RouterBinding(self, self._context, l), this);

    /// <summary>How many routers hold this bind now.</summary>
    internal int BoundRouterCount => _bindings.Values.Count(b => b.IsAttached);

    /// <summary>Completes when the bind is next attached at the router <paramref name="routerAddress"/> (for tests of rebinding; call it before the router is back).</summary>
    internal Task NextAttachAtAsync(string routerAddress) =>
        _bindings.First(b => b.Key.Address == routerAddress).Value.NextAttachAsync();

    /// <summary>A binding received and checked a bind grant.</summary>
    internal void OnGrant(byte[] bytes, OverlayGrant grant)
    {
        Volatile.Write(ref _lastGrant, bytes);
        Interlocked.Exchange(ref _nextGrant, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(grant);
    }

    /// <summary>
    /// Takes a dial that came through <paramref name="via"/>: refuses it when too many wait unclaimed,
    /// else runs its handshake in the background, showing the bind grant of that router.
    /// </summary>
    internal async ValueTask OfferAsync(MuxIncomingStream incoming, RouterBinding via)
    {
        if (IsDisposed)
        {
            await incoming.RejectAsync(ReasonCode.Refused, $"service '{Service}' is no longer bound here").ConfigureAwait(false);
            return;
        }

        if (Interlocked.Increment(ref _pending) > _maxPending)
        {
            Interlocked.Decrement(ref _pending);
            await incoming.RejectAsync(ReasonCode.Busy, $"busy: '{Service}' has too many dials waiting").ConfigureAwait(false);
            return;
        }

        _ = Task.Run(() => HandshakeAsync(incoming, via));
    }

    private async Task HandshakeAsync(MuxIncomingStream incoming, RouterBinding via)
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
            if (await _context.Sealer.CheckDialGrantAsync(Service, incoming).ConfigureAwait(false) is { } caller)
            {
                // A dial waits for one of its caller's slots, then a shared one. The router gives up on a dial
                // the binder has not taken within its BinderOpenTimeout (a reset); such a dial is dropped
                // here without a handshake once its turn comes.
                using var callerSlot = await _callerSlots.AcquireAsync(caller.IdentityId, _stop.Token).ConfigureAwait(false);
                await _handshakes.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    stream = incoming.IsAbandoned ? null : await _context.Sealer.SealAcceptedAsync(Service, via.RouterAddress, via.Grant, incoming, caller, _stop.Token).ConfigureAwait(false);
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
