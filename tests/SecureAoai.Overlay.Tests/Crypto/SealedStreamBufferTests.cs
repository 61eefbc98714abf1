using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Crypto;

/// <summary>
/// The sealed record layer rents its record buffer per read, opens records in place and gives the buffer
/// back once its plaintext is read: what a reader sees must not change for it, and a buffer must have one
/// owner at a time.
/// </summary>
public sealed class SealedStreamBufferTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly X509Certificate2 _ca = TestPki.CreateCa("sealed-buffers-ca");
    private readonly SealedStream _dialer;
    private readonly SealedStream _binder;

    public SealedStreamBufferTests()
    {
        byte[] towardBinder = RandomNumberGenerator.GetBytes(32);
        byte[] towardDialer = RandomNumberGenerator.GetBytes(32);
        byte[] binderPrefix = RandomNumberGenerator.GetBytes(4);
        byte[] dialerPrefix = RandomNumberGenerator.GetBytes(4);
        var (a, b) = DuplexPipeStream.CreatePair();
        _dialer = new SealedStream(a, towardBinder, binderPrefix, towardDialer, dialerPrefix, TestPki.CreateIdentity(_ca, "binder"));
        _binder = new SealedStream(b, towardDialer, dialerPrefix, towardBinder, binderPrefix, TestPki.CreateIdentity(_ca, "dialer"));
    }

    [Fact]
    public async Task ReadAsync_SmallBuffersAcrossFullRecords_ReturnsEveryByteInOrder()
    {
        // 40 KiB: two full 16 KiB records and a partial one, read 7 bytes at a time (opened in place, then copied out).
        byte[] sent = RandomNumberGenerator.GetBytes(40 * 1024);
        await _dialer.WriteAsync(sent);
        await _dialer.CompleteWritesAsync();

        using var received = new MemoryStream();
        byte[] buffer = new byte[7];
        int read;
        while ((read = await _binder.ReadAsync(buffer).AsTask().WaitAsync(Timeout)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        Assert.Equal(sent, received.ToArray());
    }

    [Fact]
    public async Task ReadAsync_EmptyBuffer_CompletesWhenDataArrivesAndConsumesNothing()
    {
        ValueTask<int> waiting = _binder.ReadAsync(Memory<byte>.Empty);
        Assert.False(waiting.IsCompleted);

        await _dialer.WriteAsync("hello"u8.ToArray());

        Assert.Equal(0, await waiting.AsTask().WaitAsync(Timeout));
        byte[] buffer = new byte[16];
        Assert.Equal(5, await _binder.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        Assert.Equal("hello"u8.ToArray(), buffer[..5]);
    }

    [Fact]
    public async Task ReadAsync_WhileAnotherReadRuns_ThrowsInvalidOperationAndFirstReadStillGetsData()
    {
        ValueTask<int> first = _binder.ReadAsync(new byte[16]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _binder.ReadAsync(new byte[16]).AsTask());

        await _dialer.WriteAsync("one"u8.ToArray());
        Assert.Equal(3, await first.AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReadAsync_AfterDisposeWithUnreadPlaintext_ThrowsObjectDisposed()
    {
        // The record is opened in place and partly read when the stream is disposed: its buffer goes back cleared.
        await _dialer.WriteAsync(RandomNumberGenerator.GetBytes(1024));
        Assert.Equal(10, await _binder.ReadAsync(new byte[10]).AsTask().WaitAsync(Timeout));

        _binder.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => _binder.ReadAsync(new byte[100]).AsTask());
    }

    public void Dispose()
    {
        _dialer.Dispose();
        _binder.Dispose();
        _ca.Dispose();
    }
}
