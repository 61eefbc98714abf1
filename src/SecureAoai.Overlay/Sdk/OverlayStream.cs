using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay;

/// <summary>
/// A duplex stream to or from an overlay service, sealed end to end: the router forwards only
/// ciphertext. Write, then <see cref="CompleteWritesAsync"/> to half-close; reads return 0 once the
/// other end has half-closed.
/// </summary>
public sealed class OverlayStream : Stream
{
    // Crosses the router in the clear, so it says nothing about the application.
    private const string AbortReason = "aborted by the application";

    private readonly Stream _inner;
    private readonly Func<ValueTask> _completeWrites;

    internal OverlayStream(Stream inner, Func<ValueTask> completeWrites, string service, OverlayCaller peer)
    {
        _inner = inner;
        _completeWrites = completeWrites;
        Service = service;
        Peer = peer;
    }

    /// <summary>The service this connection belongs to.</summary>
    public string Service { get; }

    /// <summary>The other end: for a bound service, the caller (name and roles); for a dial, the binder's identity name.</summary>
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
    public ValueTask CompleteWritesAsync() => _completeWrites();

    /// <summary>
    /// Ends the connection at once, both ways, without the end-to-end close: the other end's reads and
    /// writes fail instead of ending cleanly, so it can tell a response cut short from a complete one.
    /// Call it instead of disposing when what was sent is incomplete (a failed copy, an aborted
    /// request); dispose afterwards as usual.
    /// </summary>
    public void Abort()
    {
        if (_inner is SealedStream sealedStream)
        {
            sealedStream.Abort(AbortReason);
        }
        else
        {
            _inner.Dispose();
        }
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.ReadAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override void Flush() => _inner.Flush();

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
