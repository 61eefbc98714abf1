using System.Buffers.Binary;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

/// <summary>A peer that lies about its window or its credit, or stops reading, cannot make a session hold more than its limits.</summary>
public sealed class MuxFlowControlHostileTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task WriteAsync_PeerAnnouncesOneGibibyteWindow_SendsNoMoreThanTheMaximumWindowBeforeCredit()
    {
        var (ours, theirs) = DuplexPipeStream.CreatePair();
        await using var session = new MuxSession(ours, new MuxOptions(), isInitiator: true);
        await using var peer = new RawPeer(theirs);
        Task run = session.RunAsync();
        await peer.SendHelloAsync(new HelloLimits(64 * 1024, 1024, 1u << 30, 8 * 1024));
        MuxStream stream = await OpenAckedAsync(session, peer);

        Task write = stream.WriteAsync(new byte[FrameLimits.MaxStreamWindowBytes + (64 * 1024)]).AsTask();
        long received = await ReceiveDataAsync(peer, FrameLimits.MaxStreamWindowBytes);
        await peer.SendAsync(FrameType.Credit, stream.Id, Credit(1));
        var next = await peer.ReceiveUntilAsync(FrameType.Data).WaitAsync(Timeout);

        Assert.Equal(FrameLimits.MaxStreamWindowBytes, received);
        Assert.Single(next!.Value.Payload);
        Assert.False(write.IsFaulted);
    }

    [Fact]
    public async Task WriteAsync_PeerGrantsCreditBeyondItsWindow_SendsNoMoreThanItsWindowAhead()
    {
        const int window = 64 * 1024;
        var (ours, theirs) = DuplexPipeStream.CreatePair();
        await using var session = new MuxSession(ours, new MuxOptions(), isInitiator: true);
        await using var peer = new RawPeer(theirs);
        Task run = session.RunAsync();
        await peer.SendHelloAsync(new HelloLimits(64 * 1024, 1024, window, 8 * 1024));
        MuxStream stream = await OpenAckedAsync(session, peer);

        // Credit for two gibibytes, never consumed; the Pong proves the session read it before anything is written.
        await peer.SendAsync(FrameType.Credit, stream.Id, Credit(0x7FFE_0000));
        await peer.SendAsync(FrameType.Ping, 0, [0, 0, 0, 0, 0, 0, 0, 9]);
        await peer.ReceiveUntilAsync(FrameType.Pong).WaitAsync(Timeout);
        Task write = stream.WriteAsync(new byte[1024 * 1024]).AsTask();
        long received = await ReceiveDataAsync(peer, window);
        await peer.SendAsync(FrameType.Credit, stream.Id, Credit(1));
        var next = await peer.ReceiveUntilAsync(FrameType.Data).WaitAsync(Timeout);

        Assert.Equal(window, received);
        Assert.Single(next!.Value.Payload);
        Assert.False(write.IsFaulted);
    }

    [Fact]
    public async Task WriteAsync_TransportStopsTakingBytes_WriterWaitsAndUnflushedBytesStayUnderTheLimit()
    {
        var options = new MuxOptions { MaxUnflushedSendBytes = 256 * 1024 };
        var (ours, theirs) = DuplexPipeStream.CreatePair();
        var gate = new GateStream(ours);
        await using var session = new MuxSession(gate, options, isInitiator: true);
        await using var peer = new RawPeer(theirs);
        Task run = session.RunAsync();
        await peer.SendHelloAsync(new HelloLimits(64 * 1024, 1024, FrameLimits.MaxStreamWindowBytes, 8 * 1024));
        MuxStream stream = await OpenAckedAsync(session, peer);

        gate.CloseWrites();
        Task write = stream.WriteAsync(new byte[8 * 1024 * 1024]).AsTask();
        for (var i = 0; i < 1000 && session.Send.UnflushedBytes < options.MaxUnflushedSendBytes / 2 && !write.IsCompleted; i++)
        {
            await Task.Delay(10);
        }

        Assert.False(write.IsCompleted, "eight mebibytes were taken while the transport took nothing");
        Assert.InRange(session.Send.PeakUnflushedBytes, options.MaxUnflushedSendBytes / 2, options.MaxUnflushedSendBytes);
        gate.OpenWrites();
        await write.WaitAsync(Timeout);
        Assert.InRange(session.Send.PeakUnflushedBytes, 0, options.MaxUnflushedSendBytes);
    }

    private static async Task<MuxStream> OpenAckedAsync(MuxSession session, RawPeer peer)
    {
        Task<MuxStream> open = session.OpenStreamAsync("x"u8.ToArray()).AsTask();
        var frame = await peer.ReceiveUntilAsync(FrameType.Open).WaitAsync(Timeout);
        await peer.SendAsync(FrameType.OpenAck, frame!.Value.StreamId, []);
        return await open.WaitAsync(Timeout);
    }

    /// <summary>Receives Data frames until at least <paramref name="bytes"/> arrived; returns how many did.</summary>
    private static async Task<long> ReceiveDataAsync(RawPeer peer, long bytes)
    {
        long received = 0;
        for (var frames = 0; frames < 100_000 && received < bytes; frames++)
        {
            var frame = await peer.ReceiveUntilAsync(FrameType.Data).WaitAsync(Timeout);
            received += frame!.Value.Payload.Length;
        }

        return received;
    }

    private static byte[] Credit(uint increment)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, increment);
        return bytes;
    }
}
