using System.Threading.Channels;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// A bound service: dials arrive through <see cref="AcceptAsync"/>, each with its caller. The bind
/// survives losing the router: the context reconnects and binds again by itself.
/// </summary>
public sealed class OverlayListener : IAsyncDisposable
{
    private readonly OverlayContext _context;
    private readonly Channel<MuxIncomingStream> _pending;
    private MuxStream? _control;
    private int _disposed;

    internal OverlayListener(OverlayContext context, string service, int maxPendingAccepts)
    {
        _context = context;
        Service = service;
        _pending = Channel.CreateBounded<MuxIncomingStream>(new BoundedChannelOptions(maxPendingAccepts) { FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>The service bound.</summary>
    public string Service { get; }

    /// <summary>Whether the bind is registered at the router right now (false while reconnecting).</summary>
    public bool IsBound => Volatile.Read(ref _control) is not null;

    /// <summary>Waits for the next dial, completes the end-to-end handshake and returns the connection.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The connection; its <see cref="OverlayStream.Peer"/> is the caller.</returns>
    /// <exception cref="ObjectDisposedException">The listener was disposed.</exception>
    public async ValueTask<OverlayStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        // A dial whose handshake fails is dropped and the next one awaited; the caller sees only good ones.
        while (true)
        {
            MuxIncomingStream incoming;
            try
            {
                incoming = await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw new ObjectDisposedException($"The listener of '{Service}' is closed.", ex);
            }

            var connection = await _context.AcceptDialAsync(this, incoming, cancellationToken).ConfigureAwait(false);
            if (connection is not null)
            {
                return connection;
            }
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

        _pending.Writer.TryComplete();
        _context.Forget(this);
        if (Interlocked.Exchange(ref _control, null) is { } control)
        {
            await control.DisposeAsync().ConfigureAwait(false);
        }

        while (_pending.Reader.TryRead(out var waiting))
        {
            await waiting.RejectAsync($"service '{Service}' is no longer bound here").ConfigureAwait(false);
        }
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal void Attach(MuxStream control) => Volatile.Write(ref _control, control);

    internal void Detach() => Volatile.Write(ref _control, null);

    /// <summary>Queues a dial for <see cref="AcceptAsync"/>, or refuses it when the queue is full.</summary>
    internal async ValueTask OfferAsync(MuxIncomingStream incoming)
    {
        if (IsDisposed || !_pending.Writer.TryWrite(incoming))
        {
            await incoming.RejectAsync(IsDisposed ? $"service '{Service}' is no longer bound here" : $"busy: '{Service}' has too many dials waiting").ConfigureAwait(false);
        }
    }
}
