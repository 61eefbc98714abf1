using System.Threading.Channels;
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
/// <see cref="AcceptAsync"/> hands out the dials whose handshake succeeded.
/// </remarks>
public sealed class OverlayListener : IAsyncDisposable
{
    /// <summary>The most end-to-end handshakes in progress at once; more dials wait for a slot.</summary>
    public const int MaxConcurrentHandshakes = 64;

    /// <summary>
    /// The most of those slots one caller (identity) may hold; its further dials wait for its own
    /// slots, so a caller whose dials never send their hello holds at most this many.
    /// </summary>
    public const int MaxConcurrentHandshakesPerCaller = 16;

    private readonly OverlayContext _context;
    private readonly Channel<OverlayStream> _ready;
    private readonly SemaphoreSlim _handshakes = new(MaxConcurrentHandshakes, MaxConcurrentHandshakes);
    private readonly CallerSlots _callerSlots = new(MaxConcurrentHandshakesPerCaller);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _maxPending;
    private MuxStream? _control;
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

    internal void Attach(MuxStream control) => Volatile.Write(ref _control, control);

    internal void Detach() => Volatile.Write(ref _control, null);

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
        var caller = RouterRequest.TryParse(incoming.Metadata.Span)?.Caller ?? string.Empty;
        try
        {
            // A dial waits for one of its caller's slots, then a shared one. The router gives up on a dial
            // the binder has not taken within its BinderOpenTimeout (a reset); such a dial is dropped
            // here without a handshake once its turn comes.
            using var callerSlot = await _callerSlots.AcquireAsync(caller, _stop.Token).ConfigureAwait(false);
            await _handshakes.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                stream = incoming.IsAbandoned ? null : await _context.AcceptDialAsync(this, incoming, _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _handshakes.Release();
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
