using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Tests.Controller;

namespace SecureAoai.Overlay.Tests.Internal;

/// <summary>The accept loop shared by the router, the controller and the tunnel: it ends on cancellation or a closed listener, and on nothing else.</summary>
public sealed class AcceptLoopTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RunAsync_TransientSocketErrorOnce_KeepsAcceptingRealConnections()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var failures = 0;
        var accepted = Channel.CreateUnbounded<Socket>();
        using var stop = new CancellationTokenSource();
        var loop = AcceptLoop.RunAsync(
            cancellationToken => Interlocked.Increment(ref failures) == 1
                ? ValueTask.FromException<Socket>(new SocketException((int)SocketError.ConnectionReset))
                : listener.AcceptSocketAsync(cancellationToken),
            socket => accepted.Writer.TryWrite(socket),
            "test listener",
            NullLogger.Instance,
            TimeProvider.System,
            stop.Token);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await accepted.Reader.ReadAsync().AsTask().WaitAsync(HangGuard);

        Assert.False(loop.IsCompleted);
        await stop.CancelAsync();
        await loop.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task RunAsync_FailureAfterFailure_PausesLongerEachTimeUpToTheMaximumAndKeepsGoing()
    {
        var time = new TimerRecordingTimeProvider();
        var calls = 0;
        using var stop = new CancellationTokenSource();
        var loop = AcceptLoop.RunAsync(
            _ =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromException<Socket>(new SocketException((int)SocketError.TooManyOpenSockets));
            },
            _ => Assert.Fail("nothing is accepted"),
            "test listener",
            NullLogger.Instance,
            time,
            stop.Token);

        // Each retry waits on the clock for its pause; the fake clock moves only when the pause is set.
        var pauses = new List<TimeSpan>();
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var pause = await time.Timers.Reader.ReadAsync().AsTask().WaitAsync(HangGuard);
            Assert.Equal(attempt, Volatile.Read(ref calls));
            pauses.Add(pause);
            time.Advance(pause);
        }

        Assert.Equal(AcceptLoop.MinRetryDelay, pauses[0]);
        Assert.Equal(AcceptLoop.MinRetryDelay * 2, pauses[1]);
        Assert.All(pauses.Zip(pauses.Skip(1)), p => Assert.True(p.Second >= p.First));
        Assert.Equal(AcceptLoop.MaxRetryDelay, pauses[^1]);
        Assert.False(loop.IsCompleted);
        await stop.CancelAsync();
        await loop.WaitAsync(HangGuard);
    }

    [Fact]
    public void NextDelay_DoublesFromTheMinimumAndStopsAtTheMaximum()
    {
        var delays = new List<TimeSpan>();
        var delay = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            delay = AcceptLoop.NextDelay(delay);
            delays.Add(delay);
        }

        Assert.Equal(AcceptLoop.MinRetryDelay, delays[0]);
        Assert.Equal(AcceptLoop.MinRetryDelay * 2, delays[1]);
        Assert.All(delays, d => Assert.InRange(d, AcceptLoop.MinRetryDelay, AcceptLoop.MaxRetryDelay));
        Assert.Equal(AcceptLoop.MaxRetryDelay, delays[^1]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_ListenerClosed_Ends(bool disposed)
    {
        Exception closed = disposed ? new ObjectDisposedException("listener") : new SocketException((int)SocketError.OperationAborted);

        var loop = AcceptLoop.RunAsync(_ => ValueTask.FromException<Socket>(closed), _ => { }, "test listener", NullLogger.Instance, TimeProvider.System, CancellationToken.None);

        await loop.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task RunAsync_HandlerThrows_ClosesThatSocketAndAcceptsTheNext()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var handled = Channel.CreateUnbounded<Socket>();
        var first = true;
        using var stop = new CancellationTokenSource();
        var loop = AcceptLoop.RunAsync(
            listener,
            socket =>
            {
                if (first)
                {
                    first = false;
                    throw new SocketException((int)SocketError.InvalidArgument);
                }

                handled.Writer.TryWrite(socket);
            },
            "test listener",
            NullLogger.Instance,
            TimeProvider.System,
            stop.Token);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        using var dropped = new TcpClient();
        await dropped.ConnectAsync(IPAddress.Loopback, port);
        var buffer = new byte[1];
        Assert.Equal(0, await dropped.GetStream().ReadAsync(buffer).AsTask().WaitAsync(HangGuard)); // closed by the loop
        using var second = new TcpClient();
        await second.ConnectAsync(IPAddress.Loopback, port);
        using var served = await handled.Reader.ReadAsync().AsTask().WaitAsync(HangGuard);

        await stop.CancelAsync();
        await loop.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task ControllerServer_AcceptFailsOnceWithATransientSocketError_StillEnrolls()
    {
        var failed = 0;
        await using var overlay = OverlayFixture.Start(accept: (listener, cancellationToken) =>
            Interlocked.Exchange(ref failed, 1) == 0
                ? ValueTask.FromException<Socket>(new SocketException((int)SocketError.ConnectionAborted))
                : listener.AcceptSocketAsync(cancellationToken));
        overlay.Controller.Administration.CreateIdentity("alice", ["clients"]);

        using var alice = await EnrollmentClient.EnrollAsync(overlay.Controller.Administration.CreateEnrollmentToken("alice"), overlay.PathFor("alice.json")).WaitAsync(HangGuard);

        Assert.Equal(1, failed);
        Assert.Equal("alice", alice.Name);
    }

    /// <summary>A fake clock that reports each timer's due time as it is set.</summary>
    private sealed class TimerRecordingTimeProvider : FakeTimeProvider
    {
        public Channel<TimeSpan> Timers { get; } = Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Timers.Writer.TryWrite(dueTime);
            return timer;
        }
    }
}
