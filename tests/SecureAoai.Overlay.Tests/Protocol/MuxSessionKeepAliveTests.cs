using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

public sealed class MuxSessionKeepAliveTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_FakeClockPassesKeepAliveThenIdleTimeout_PingsThenDeclaresPeerDead()
    {
        var time = new FakeTimeProvider();
        var options = new MuxOptions();
        var (ours, theirs) = DuplexPipeStream.CreatePair();
        await using var session = new MuxSession(ours, options, isInitiator: true, time: time);
        await using var peer = new RawPeer(theirs);
        Task run = session.RunAsync();
        await peer.SendHelloAsync();
        await peer.SendAsync(FrameType.Ping, 0, [0, 0, 0, 0, 0, 0, 0, 42]);
        var pong = await peer.ReceiveUntilAsync(FrameType.Pong).WaitAsync(Timeout);
        Assert.Equal(42, pong!.Value.Payload[7]);

        time.Advance(options.KeepAliveInterval);
        var ping = await peer.ReceiveUntilAsync(FrameType.Ping).WaitAsync(Timeout);
        Assert.NotNull(ping);
        Assert.False(session.Completion.IsCompleted);

        time.Advance(options.IdleTimeout);
        var error = await Assert.ThrowsAsync<IOException>(() => session.Completion.WaitAsync(Timeout));

        Assert.Contains("IdleTimeout 45 s", error.Message);
        await run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task OpenStreamAsync_MetadataOverPeerLimit_ThrowsArgumentException()
    {
        await using SessionPair pair = SessionPair.OverPipes();

        await Assert.ThrowsAsync<ArgumentException>(() => pair.Initiator.OpenStreamAsync(new byte[8 * 1024 + 1]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public void Constructor_IdleTimeoutNotAboveKeepAlive_ThrowsArgumentOutOfRange()
    {
        var (a, _) = DuplexPipeStream.CreatePair();
        var options = new MuxOptions { KeepAliveInterval = TimeSpan.FromSeconds(10), IdleTimeout = TimeSpan.FromSeconds(10) };

        Assert.Throws<ArgumentOutOfRangeException>(() => new MuxSession(a, options, isInitiator: true));
    }
}
