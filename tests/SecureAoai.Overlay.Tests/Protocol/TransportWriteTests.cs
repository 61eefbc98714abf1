using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

/// <summary>A session hands its transport (a TLS stream) writes of at most one TLS record's plaintext, so no write becomes a full record and a sliver.</summary>
public sealed class TransportWriteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task BulkData_EveryTransportWriteIsAtMostOneTlsRecord_AndFullWritesAreExactlyOne()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        var (a, b) = DuplexPipeStream.CreatePair();
        var writes = new System.Collections.Concurrent.ConcurrentQueue<int>();
        await using var initiator = new MuxSession(new WriteSizes(a, writes), new MuxOptions(), isInitiator: true);
        await using var acceptor = new MuxSession(b, new MuxOptions(), isInitiator: false);
        _ = initiator.RunAsync();
        _ = acceptor.RunAsync();
        var opening = initiator.OpenStreamAsync("x"u8.ToArray(), cancel.Token).AsTask();
        var server = await (await acceptor.AcceptAsync(cancel.Token))!.AcceptAsync();
        var client = await opening.WaitAsync(cancel.Token);

        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);
        var reading = Task.Run(async () =>
        {
            var received = new byte[payload.Length];
            await server.ReadExactlyAsync(received, cancel.Token);
            return received;
        });
        await client.WriteAsync(payload, cancel.Token);

        Assert.Equal(payload, await reading.WaitAsync(cancel.Token));
        Assert.All(writes, w => Assert.InRange(w, 1, MuxSession.TransportWriteBytes));
        Assert.Contains(MuxSession.TransportWriteBytes, writes);
    }

    /// <summary>Passes everything through and records the length of each write.</summary>
    private sealed class WriteSizes(Stream inner, System.Collections.Concurrent.ConcurrentQueue<int> writes) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            writes.Enqueue(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
