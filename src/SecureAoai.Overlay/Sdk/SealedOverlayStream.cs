using System.Runtime.CompilerServices;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// The embedded overlay's <see cref="OverlayStream"/>: a stream sealed end to end, over a stream the router
/// at <paramref name="router"/> relays (<paramref name="relayed"/>). A read or write that fails throws an
/// <see cref="IOException"/> that names the router, and says so when the router was lost.
/// </summary>
internal sealed class SealedOverlayStream(SealedStream inner, string service, OverlayCaller peer, MuxStream relayed, string router) : OverlayStream(service, peer)
{
    // Crosses the router in the clear, so it says nothing about the application.
    private const string AbortReason = "aborted by the application";

    /// <inheritdoc/>
    public override ValueTask CompleteWritesAsync() => inner.CompleteWritesAsync();

    /// <inheritdoc/>
    public override void Abort() => inner.Abort(AbortReason);

    /// <summary>The router this stream runs through, <c>HOST:PORT</c>.</summary>
    internal string Router => router;

    /// <inheritdoc/>
    /// <remarks>Pooled: a read that waits for the peer (every read of a round trip) allocates no state machine.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw Failed(ex);
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    /// <remarks>Pooled: a write that waits for window or the session's room allocates no state machine.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw Failed(ex);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    /// <summary>A failure of this stream, naming its router; when the router was lost, saying so and that a new dial goes through another.</summary>
    private IOException Failed(IOException cause) => relayed.IsSessionClosed
        ? new($"The stream of '{Service}' was lost with its router {router} ({cause.Message}). Only streams through that router fail: dial again, and the dial goes through another router this identity may use.", cause)
        : new($"The stream of '{Service}' through router {router} failed: {cause.Message}", cause);

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
