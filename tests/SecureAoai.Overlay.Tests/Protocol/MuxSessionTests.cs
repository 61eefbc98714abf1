using System.Text;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

public sealed class MuxSessionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OpenStreamAsync_EchoAcceptor_RoundTripsDataAndMetadata()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        Task<MuxIncomingStream?> accept = pair.Acceptor.AcceptAsync().AsTask();

        Task<MuxStream> open = pair.Initiator.OpenStreamAsync("svc:chatapp"u8.ToArray()).AsTask();
        MuxIncomingStream incoming = (await accept.WaitAsync(Timeout))!;
        Assert.Equal("svc:chatapp", Encoding.UTF8.GetString(incoming.Metadata.Span));
        MuxStream server = await incoming.AcceptAsync();
        MuxStream client = await open.WaitAsync(Timeout);

        // Read before the decision: an open stream does not keep its metadata (a dial's carries a grant).
        Assert.True(incoming.Metadata.IsEmpty);
        Assert.Equal(1u, client.Id % 2);
        await client.WriteAsync("hello"u8.ToArray());
        byte[] buffer = new byte[16];
        int read = await server.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal("hello", Encoding.UTF8.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task OpenStreamAsync_ThousandConcurrentStreams_EachEchoesItsOwnData()
    {
        const int Streams = 1000;
        const int BytesPerStream = 20_000;
        var options = new MuxOptions { MaxPendingAccepts = Streams, InitialStreamWindowBytes = 16 * 1024, MaxFramePayloadBytes = 4096, MaxOpenMetadataBytes = 256 };
        await using SessionPair pair = await SessionPair.OverTcpAsync(options);
        Task echo = SessionPair.EchoAsync(pair.Acceptor);

        int[] failures = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            byte[] sent = new byte[BytesPerStream];
            new Random(i).NextBytes(sent);
            await using MuxStream stream = await pair.Initiator.OpenStreamAsync(BitConverter.GetBytes(i));
            Task write = Task.Run(async () =>
            {
                await stream.WriteAsync(sent);
                await stream.CompleteWritesAsync();
            });
            byte[] received = await ReadToEndAsync(stream, BytesPerStream * 2);
            await write;
            return received.AsSpan().SequenceEqual(sent) ? 0 : 1;
        })).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, failures.Sum());
        Assert.True(pair.Initiator.ActiveStreamCount == 0, $"{pair.Initiator.ActiveStreamCount} streams still open");
    }

    [Fact]
    public async Task WriteAsync_PeerNeverReads_BlocksOnceWindowIsFullAndReceiverBuffersAtMostTheWindow()
    {
        const int Window = 64 * 1024;
        var options = new MuxOptions { InitialStreamWindowBytes = Window, MaxFramePayloadBytes = 16 * 1024 };
        await using SessionPair pair = await SessionPair.OverTcpAsync(options);
        (MuxStream client, MuxStream server) = await OpenAsync(pair);
        byte[] sent = new byte[Window * 8];
        new Random(7).NextBytes(sent);

        Task write = client.WriteAsync(sent).AsTask();
        for (int i = 0; i < 500 && server.BufferedReceiveBytes < Window; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(Window, server.BufferedReceiveBytes);
        Assert.False(write.IsCompleted, "the write finished although the reader never read");
        await Task.Delay(200);
        Assert.False(write.IsCompleted);
        Assert.Equal(Window, server.MaxBufferedReceiveBytes);

        byte[] received = new byte[sent.Length];
        int total = 0;
        for (int i = 0; i < 10_000 && total < sent.Length; i++)
        {
            total += await server.ReadAsync(received.AsMemory(total)).AsTask().WaitAsync(Timeout);
        }

        await write.WaitAsync(Timeout);
        Assert.Equal(sent, received);
        Assert.True(server.MaxBufferedReceiveBytes <= Window, $"buffered {server.MaxBufferedReceiveBytes} bytes with a {Window}-byte window");
    }

    [Fact]
    public async Task WriteAsync_CancelledWhileWaitingForCredit_ThrowsOperationCanceled()
    {
        var options = new MuxOptions { InitialStreamWindowBytes = 1024, MaxFramePayloadBytes = 1024, MaxOpenMetadataBytes = 1024 };
        await using SessionPair pair = await SessionPair.OverTcpAsync(options);
        (MuxStream client, _) = await OpenAsync(pair);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WriteAsync(new byte[4096], cts.Token).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task CompleteWritesAsync_PeerDrainsThenReadsZeroAndCanStillWriteBack()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        (MuxStream client, MuxStream server) = await OpenAsync(pair);

        await client.WriteAsync("request"u8.ToArray());
        await client.CompleteWritesAsync();
        byte[] request = await ReadToEndAsync(server, 1024);
        await server.WriteAsync("response"u8.ToArray());
        await server.CompleteWritesAsync();
        byte[] response = await ReadToEndAsync(client, 1024);

        Assert.Equal("request", Encoding.UTF8.GetString(request));
        Assert.Equal("response", Encoding.UTF8.GetString(response));
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.WriteAsync(new byte[1]).AsTask());
    }

    [Fact]
    public async Task Abort_WithReason_PeerReadAndWriteThrowIOExceptionWithReason()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        (MuxStream client, MuxStream server) = await OpenAsync(pair);

        client.Abort("model deployment removed");

        var readError = await Assert.ThrowsAsync<IOException>(() => server.ReadAsync(new byte[8]).AsTask().WaitAsync(Timeout));
        Assert.Contains("model deployment removed", readError.Message);
        var writeError = await Assert.ThrowsAsync<IOException>(() => server.WriteAsync(new byte[8]).AsTask());
        Assert.Contains("model deployment removed", writeError.Message);
    }

    [Fact]
    public async Task OpenStreamAsync_AcceptorRejects_ThrowsRejectedExceptionWithReason()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        Task reject = Task.Run(async () =>
        {
            MuxIncomingStream incoming = (await pair.Acceptor.AcceptAsync())!;
            await incoming.RejectAsync(ReasonCode.NoTerminator, "no terminator for service 'chatapp'");
        });

        var error = await Assert.ThrowsAsync<MuxStreamRejectedException>(() => pair.Initiator.OpenStreamAsync("chatapp"u8.ToArray()).AsTask().WaitAsync(Timeout));

        Assert.Equal("no terminator for service 'chatapp'", error.Reason);
        Assert.Equal(ReasonCode.NoTerminator, error.Code);
        await reject;
    }

    [Fact]
    public async Task OpenStreamAsync_MorePendingOpensThanMaxPendingAccepts_ExtraOpensRejectedBusy()
    {
        var options = new MuxOptions { MaxPendingAccepts = 2 };
        await using SessionPair pair = await SessionPair.OverTcpAsync(options);

        Task<MuxStream>[] opens = [.. Enumerable.Range(0, 3).Select(_ => pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask())];
        var error = await Assert.ThrowsAsync<MuxStreamRejectedException>(() => Task.WhenAny(opens).Unwrap().WaitAsync(Timeout));

        Assert.Equal("busy", error.Reason);
        Assert.Equal(ReasonCode.Busy, error.Code);
        Assert.Equal(2, opens.Count(o => !o.IsCompleted));
    }

    [Fact]
    public async Task OpenStreamAsync_AtTheStreamLimit_RefusedBusyAndTheSessionLives()
    {
        var options = new MuxOptions { MaxStreamsPerSession = 2 };
        await using SessionPair pair = await SessionPair.OverTcpAsync(options);
        Task echo = SessionPair.EchoAsync(pair.Acceptor);
        MuxStream first = await pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Timeout);
        MuxStream second = await pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<MuxStreamRejectedException>(() => pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Timeout));

        Assert.Equal(ReasonCode.Busy, error.Code);
        Assert.Contains("MaxStreamsPerSession", error.Reason);
        Assert.False(pair.Initiator.Completion.IsCompleted);
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task OpenStreamAsync_Cancelled_ThrowsAndPeerSeesReset()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        using var cts = new CancellationTokenSource();
        Task<MuxStream> open = pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty, cts.Token).AsTask();
        MuxIncomingStream incoming = (await pair.Acceptor.AcceptAsync().AsTask().WaitAsync(Timeout))!;

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open.WaitAsync(Timeout));

        // The Reset may land before or after the acceptor takes the stream: either way it sees it.
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            MuxStream server = await incoming.AcceptAsync();
            await server.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout);
        });
    }

    [Fact]
    public async Task AcceptAsync_Cancelled_ThrowsOperationCanceledAndSessionKeepsWorking()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.Acceptor.AcceptAsync(cts.Token).AsTask().WaitAsync(Timeout));

        (MuxStream client, _) = await OpenAsync(pair);
        Assert.Equal(1u, client.Id);
    }

    [Fact]
    public async Task ReadAsync_CancelledWhileWaiting_ThrowsOperationCanceledAndLaterDataStillArrives()
    {
        await using SessionPair pair = await SessionPair.OverTcpAsync();
        (MuxStream client, MuxStream server) = await OpenAsync(pair);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.ReadAsync(new byte[8], cts.Token).AsTask().WaitAsync(Timeout));
        await client.WriteAsync("late"u8.ToArray());

        byte[] buffer = new byte[8];
        int read = await server.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal("late", Encoding.UTF8.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task DisposeAsync_OpenStreams_PeerSessionCompletesAndItsStreamsFail()
    {
        SessionPair pair = await SessionPair.OverTcpAsync();
        (MuxStream client, MuxStream server) = await OpenAsync(pair);

        await pair.Initiator.DisposeAsync();

        await pair.Acceptor.Completion.WaitAsync(Timeout);
        Assert.Contains("disposed", pair.Acceptor.ClosedReason);
        await Assert.ThrowsAsync<IOException>(() => server.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<IOException>(() => client.WriteAsync(new byte[1]).AsTask());
        Assert.Null(await pair.Acceptor.AcceptAsync());
        await pair.DisposeAsync();
    }

    [Fact]
    public async Task RunAsync_PeerSendsMalformedFrame_OnlyThatSessionEndsWithGoAway()
    {
        await using SessionPair healthy = await SessionPair.OverTcpAsync();
        var (ours, theirs) = await Loopback.ConnectAsync();
        await using var victim = new MuxSession(ours, new MuxOptions(), isInitiator: false);
        await using var peer = new RawPeer(theirs);
        Task run = victim.RunAsync();
        Task echo = SessionPair.EchoAsync(healthy.Acceptor);

        await peer.SendHelloAsync();
        await peer.SendRawAsync(FrameReaderTests.Header(1, FrameType.Data, 0x8000, 1, 1));

        var error = await Assert.ThrowsAsync<IOException>(() => victim.Completion.WaitAsync(Timeout));
        Assert.Contains("protocol", error.Message);
        var goAway = await peer.ReceiveUntilAsync(FrameType.GoAway).WaitAsync(Timeout);
        var (code, words) = FrameReader.ReadReason(new System.Buffers.ReadOnlySequence<byte>(goAway!.Value.Payload));
        Assert.Equal(ReasonCode.ProtocolViolation, code);
        Assert.Contains("flags", words);

        await using MuxStream stream = await healthy.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Timeout);
        await stream.WriteAsync("still here"u8.ToArray());
        await stream.CompleteWritesAsync();
        Assert.Equal("still here", Encoding.UTF8.GetString(await ReadToEndAsync(stream, 1024)));
    }

    [Fact]
    public async Task RunAsync_PeerSpeaksAnotherVersion_SendsGoAwayNamingBothVersions()
    {
        var (ours, theirs) = await Loopback.ConnectAsync();
        await using var session = new MuxSession(ours, new MuxOptions(), isInitiator: true);
        await using var peer = new RawPeer(theirs);
        Task run = session.RunAsync();

        byte[] futureHello = [.. FrameReaderTests.Header(2, FrameType.Hello, 0, 0, 16), .. new byte[16]];
        await peer.SendRawAsync(futureHello);

        await Assert.ThrowsAsync<IOException>(() => session.Completion.WaitAsync(Timeout));
        var goAway = await peer.ReceiveUntilAsync(FrameType.GoAway).WaitAsync(Timeout);
        string reason = FrameReader.ReadReason(new System.Buffers.ReadOnlySequence<byte>(goAway!.Value.Payload)).Words;
        Assert.Contains("version 2", reason);
        Assert.Contains("version 1", reason);
    }

    [Fact]
    public async Task RunAsync_PeerOverrunsWindow_SessionEndsWithFlowControlViolation()
    {
        var (ours, theirs) = DuplexPipeStream.CreatePair();
        var options = new MuxOptions { InitialStreamWindowBytes = 1024, MaxFramePayloadBytes = 4096, MaxOpenMetadataBytes = 4096 };
        await using var session = new MuxSession(ours, options, isInitiator: true);
        await using var peer = new RawPeer(theirs);
        Task run = session.RunAsync();
        await peer.SendHelloAsync();
        Task<MuxIncomingStream?> accept = session.AcceptAsync().AsTask();
        await peer.SendAsync(FrameType.Open, 2, []);
        await (await accept.WaitAsync(Timeout))!.AcceptAsync();

        await peer.SendAsync(FrameType.Data, 2, new byte[2048]);

        var error = await Assert.ThrowsAsync<IOException>(() => session.Completion.WaitAsync(Timeout));
        Assert.Contains("Flow-control", error.Message);
    }

    [Fact]
    public async Task OpenStreamAsync_OverInMemoryPipes_RoundTrips()
    {
        await using SessionPair pair = SessionPair.OverPipes();
        Task echo = SessionPair.EchoAsync(pair.Acceptor);

        await using MuxStream stream = await pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask().WaitAsync(Timeout);
        await stream.WriteAsync(new byte[300_000]);
        await stream.CompleteWritesAsync();

        Assert.Equal(300_000, (await ReadToEndAsync(stream, 400_000)).Length);
    }

    private static async Task<(MuxStream Client, MuxStream Server)> OpenAsync(SessionPair pair)
    {
        Task<MuxIncomingStream?> accept = pair.Acceptor.AcceptAsync().AsTask();
        Task<MuxStream> open = pair.Initiator.OpenStreamAsync(ReadOnlyMemory<byte>.Empty).AsTask();
        MuxStream server = await (await accept.WaitAsync(Timeout))!.AcceptAsync();
        return (await open.WaitAsync(Timeout), server);
    }

    internal static async Task<byte[]> ReadToEndAsync(Stream stream, int maxBytes)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[8192];
        for (int i = 0; i < 100_000; i++)
        {
            int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
            if (read == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, read);
            Assert.True(received.Length <= maxBytes, $"more than {maxBytes} bytes");
        }

        throw new InvalidOperationException("Stream did not end after 100,000 reads.");
    }
}
