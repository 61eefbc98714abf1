namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>
/// Passes reads and writes through to <paramref name="inner"/> until a test closes a direction's gate:
/// reads then wait, as a peer that stops reading its socket; writes then wait, as a network that stops
/// taking bytes. A waiting call ends when its gate opens again or its token is cancelled.
/// </summary>
internal sealed class GateStream(Stream inner) : Stream
{
    private TaskCompletionSource? _readGate;
    private TaskCompletionSource? _writeGate;

    /// <summary>Called with each buffer before it is written, so a test can rewrite what a real peer sends.</summary>
    public Func<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>? RewriteWrite { get; set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void CloseReads() => Interlocked.CompareExchange(ref _readGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    public void OpenReads() => Interlocked.Exchange(ref _readGate, null)?.TrySetResult();

    public void CloseWrites() => Interlocked.CompareExchange(ref _writeGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    public void OpenWrites() => Interlocked.Exchange(ref _writeGate, null)?.TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _readGate) is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return await inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _writeGate) is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        await inner.WriteAsync(RewriteWrite?.Invoke(buffer) ?? buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            OpenReads();
            OpenWrites();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        OpenReads();
        OpenWrites();
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
