using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

/// <summary>Keep-alives and the idle timeout, on a fake clock: the tests move time, never wait for it.</summary>
public sealed class MuxSessionKeepAliveTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_FakeClockPassesKeepAliveThenIdleTimeout_PingsThenDeclaresPeerDead()
    {
        await using var clocked = await ClockedSession.StartAsync();
        var (time, options, session, peer) = (clocked.Time, clocked.Options, clocked.Session, clocked.Peer);
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
        await clocked.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task RunAsync_PeerStopsDelivering_DeclaredDeadAtTheIdleTimeoutAndNotBefore()
    {
        await using var clocked = await ClockedSession.StartAsync();
        var (time, options, session, peer) = (clocked.Time, clocked.Options, clocked.Session, clocked.Peer);

        // One second short of the idle timeout the session still only pings.
        time.Advance(options.IdleTimeout - TimeSpan.FromSeconds(1));
        Assert.NotNull(await peer.ReceiveUntilAsync(FrameType.Ping).WaitAsync(Timeout));
        Assert.False(session.Completion.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<IOException>(() => session.Completion.WaitAsync(Timeout));
        Assert.Contains("IdleTimeout", error.Message);
        await clocked.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task RunAsync_IdleButResponsivePeer_KeepAlivesKeepSessionOpen()
    {
        await using var clocked = await ClockedSession.StartAsync();
        var (time, options, session, peer) = (clocked.Time, clocked.Options, clocked.Session, clocked.Peer);

        // Three idle timeouts without application traffic. The peer behaves as a session does: it
        // answers each of our pings, and pings when it heard nothing for a while; the pong it gets
        // back also shows our side read everything before the clock moves on.
        for (ulong round = 1; round <= 9; round++)
        {
            time.Advance(options.KeepAliveInterval);
            var ping = await peer.ReceiveUntilAsync(FrameType.Ping).WaitAsync(Timeout);
            await peer.SendAsync(FrameType.Pong, 0, ping!.Value.Payload);
            await peer.SendAsync(FrameType.Ping, 0, [0, 0, 0, 0, 0, 0, 0, (byte)round]);
            var pong = await peer.ReceiveUntilAsync(FrameType.Pong).WaitAsync(Timeout);
            Assert.Equal(round, pong!.Value.Payload[7]);
        }

        Assert.False(session.Completion.IsCompleted, session.Completion.Exception?.InnerException?.Message);
        _ = session.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask();
        Assert.NotNull(await peer.ReceiveUntilAsync(FrameType.Open).WaitAsync(Timeout));
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

    /// <summary>A running session with the default options on a fake clock, and a raw peer that has sent its Hello.</summary>
    private sealed class ClockedSession : IAsyncDisposable
    {
        private ClockedSession(Stream ours, RawPeer peer)
        {
            Session = new MuxSession(ours, Options, isInitiator: true, time: Time);
            Peer = peer;
            Run = Session.RunAsync();
        }

        public FakeTimeProvider Time { get; } = new();

        public MuxOptions Options { get; } = new();

        public MuxSession Session { get; }

        public RawPeer Peer { get; }

        public Task Run { get; }

        public static async Task<ClockedSession> StartAsync()
        {
            var (ours, theirs) = DuplexPipeStream.CreatePair();
            var clocked = new ClockedSession(ours, new RawPeer(theirs));
            await clocked.Peer.SendHelloAsync();

            // A ping answered shows the session read the Hello before any test moves the clock: a
            // Hello read after an advance would count as heard then, not at the start.
            await clocked.Peer.SendAsync(FrameType.Ping, 0, [0, 0, 0, 0, 0, 0, 0, 0]);
            Assert.NotNull(await clocked.Peer.ReceiveUntilAsync(FrameType.Pong).WaitAsync(Timeout));
            return clocked;
        }

        public async ValueTask DisposeAsync()
        {
            await Session.DisposeAsync();
            await Peer.DisposeAsync();
        }
    }
}
