namespace SecureAoai.Overlay;

/// <summary>
/// A duplex stream to or from an overlay service, with the identity at the other end. Write, then
/// <see cref="CompleteWritesAsync"/> to half-close; reads return 0 once the other end has half-closed.
/// <see cref="Abort"/> ends it so that the other end sees a failure, never a clean end.
/// </summary>
/// <remarks>
/// The embedded overlay's streams are sealed end to end: the router forwards only ciphertext. Another
/// <see cref="IOverlayTransport"/> derives its own stream from this type; it must keep the three
/// promises above (half-close, abort, the caller's identity in <see cref="Peer"/>), because the
/// tunnel, the service host and the Kestrel transport rely on them to tell a complete transfer from a
/// cut-off one.
/// </remarks>
public abstract class OverlayStream : Stream
{
    /// <summary>Creates the stream of one connection to <paramref name="service"/>.</summary>
    /// <param name="service">The service this connection belongs to.</param>
    /// <param name="peer">The identity at the other end, as the overlay vouches for it.</param>
    protected OverlayStream(string service, OverlayCaller peer)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(peer);
        Service = service;
        Peer = peer;
    }

    /// <summary>The service this connection belongs to.</summary>
    public string Service { get; }

    /// <summary>The other end: for a bound service, the caller (name and roles); for a dial, the binder's identity.</summary>
    public OverlayCaller Peer { get; }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Half-closes: tells the other end no more data comes; this end can still read.</summary>
    /// <returns>A task that completes when the close is queued.</returns>
    public abstract ValueTask CompleteWritesAsync();

    /// <summary>
    /// Ends the connection at once, both ways, without a clean close: the other end's reads and writes
    /// fail instead of ending cleanly, so it can tell a response cut short from a complete one. Call it
    /// instead of disposing when what was sent is incomplete (a failed copy, an aborted request);
    /// dispose afterwards as usual. Never throws.
    /// </summary>
    public abstract void Abort();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();
}
