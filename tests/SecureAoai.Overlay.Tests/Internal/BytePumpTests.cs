using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Internal;

/// <summary>The pump behind the router's relay and the SDK's forwarders holds no buffer for a direction with nothing to copy.</summary>
public sealed class BytePumpTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task IdleBothWays_EachDirectionWaitsWithAZeroByteRead_HoldingNoBuffer()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var (left, leftApp) = DuplexPipeStream.CreatePair();
        var (right, rightApp) = DuplexPipeStream.CreatePair();
        var leftSource = new ReadRecorder(left);
        var rightSource = new ReadRecorder(right);
        var pump = BytePump.RunAsync(End(leftSource), End(rightSource), null, cancel.Token);

        Assert.Equal(0, await leftSource.NextReadAsync(cancel.Token));
        Assert.Equal(0, await rightSource.NextReadAsync(cancel.Token));

        await leftApp.WriteAsync("hello"u8.ToArray(), cancel.Token);
        var received = new byte[5];
        await rightApp.ReadExactlyAsync(received, cancel.Token);
        Assert.Equal("hello"u8.ToArray(), received);

        // The data there, one read with the buffer copies it; then the direction waits again without one.
        Assert.Equal(BytePump.BufferBytes, await leftSource.NextReadAsync(cancel.Token));
        Assert.Equal(0, await leftSource.NextReadAsync(cancel.Token));
        leftApp.Dispose();
        rightApp.Dispose();
        await pump.WaitAsync(cancel.Token);
    }

    [Fact]
    public async Task SourceThatReturnsAtOnceFromAZeroByteRead_StillCopiesEverythingInChunksOfAtMostChunkBytes()
    {
        using var cancel = new CancellationTokenSource(HangGuard);
        var payload = new byte[100_000];
        Random.Shared.NextBytes(payload);
        var source = new MemoryStream(payload);
        var sink = new MemoryStream();
        var writes = new List<int>();
        var copied = BytePump.RunAsync(
            new PumpEnd(source, () => ValueTask.CompletedTask, () => { }),
            new PumpEnd(new WriteRecorder(sink, writes), () => ValueTask.CompletedTask, () => { }),
            null,
            cancel.Token,
            chunkBytes: 17 * 1024);

        Assert.True(await copied.WaitAsync(cancel.Token));
        Assert.Equal(payload, sink.ToArray());
        Assert.All(writes, w => Assert.InRange(w, 1, 17 * 1024));
    }

    private static PumpEnd End(Stream stream) => new(stream, () => ValueTask.CompletedTask, () => { });

    /// <summary>Passes reads through and reports the buffer length of each read as it starts.</summary>
    private sealed class ReadRecorder(Stream inner) : Stream
    {
        private readonly System.Threading.Channels.Channel<int> _started = System.Threading.Channels.Channel.CreateUnbounded<int>();

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        /// <summary>The buffer length of the next read the pump started, in order.</summary>
        public ValueTask<int> NextReadAsync(CancellationToken cancellationToken) => _started.Reader.ReadAsync(cancellationToken);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _started.Writer.TryWrite(buffer.Length);
            return await inner.ReadAsync(buffer, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Records the length of each write it passes on; reads end at once.</summary>
    private sealed class WriteRecorder(Stream inner, List<int> writes) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        /// <summary>Nothing comes back this way: the other direction ends at once.</summary>
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writes.Add(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
