using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// Many <see cref="MuxStream"/>s over one duplex transport (a TLS connection to a router, or a test
/// pipe). One read loop parses and dispatches frames and never waits on a write; one write loop owns
/// the transport's writer, so frames never interleave. The session owns the transport and disposes it
/// when it ends.
/// </summary>
internal sealed class MuxSession : IAsyncDisposable
{
    /// <summary>How long a closing session keeps trying to flush its GoAway.</summary>
    internal static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(2);

    /// <summary>The bytes the session hands its transport per write: one TLS record's plaintext (16 KiB), so each write is one whole record.</summary>
    internal const int TransportWriteBytes = 16 * 1024;

    private readonly Stream _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly MuxOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _isInitiator;
    private readonly Channel<MuxIncomingStream> _accepts = Channel.CreateUnbounded<MuxIncomingStream>();
    private readonly Dictionary<uint, MuxStream> _streams = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<HelloLimits> _peerHello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _sync = new();
    private uint _nextStreamId;
    private uint _lastPeerStreamId;
    private int _pendingAccepts;
    private long _lastReceivedTimestamp;
    private ulong _pingCounter;
    private bool _closed;
    private Exception? _failure;
    private (ReasonCode Code, string Words)? _peerRefusal;
    private int _started;

    public MuxSession(Stream transport, MuxOptions options, bool isInitiator, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _transport = transport;
        _options = options;
        _isInitiator = isInitiator;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _nextStreamId = isInitiator ? 1u : 2u;
        // Reads of a whole block, so one read takes a whole TLS record (16 KiB) where the default 4 KiB
        // took it in four; a zero-byte read first, so an idle session holds no block while it waits.
        _input = PipeReader.Create(transport, new StreamPipeReaderOptions(BlockPool.Overlay, bufferSize: BlockPool.BlockBytes, leaveOpen: true, useZeroByteReads: true));
        // Writes of exactly one TLS record's plaintext: the writer hands the transport one buffer per
        // write, and a 17 KiB block became a full TLS record and a 1 KiB one (two records and two sends
        // where one does). Its buffers come from the shared array pool (no allocation per buffer; the
        // writer holds only the few of one flush, returned as the transport takes them).
        _output = PipeWriter.Create(transport, new StreamPipeWriterOptions(minimumBufferSize: TransportWriteBytes, leaveOpen: true));
        Send = new MuxSendQueue(HelloLimits.From(options), options.MaxUnflushedSendBytes);
    }

    /// <summary>Gets a task that completes when the session has ended: successfully after a GoAway or dispose, faulted (with an <see cref="IOException"/>) on a protocol error, transport failure or idle timeout.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Gets why the session ended, or <see langword="null"/> while it runs.</summary>
    public string? ClosedReason { get; private set; }

    /// <summary>Gets how many streams are open in either direction, including incoming ones not yet accepted.</summary>
    public int ActiveStreamCount
    {
        get
        {
            lock (_sync)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>Gets whether the session is closing or closed: no new stream can open on it, even while its loops still finish (<see cref="Completion"/>).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_sync)
            {
                return _closed;
            }
        }
    }

    internal MuxOptions Options => _options;

    /// <summary>Gets the queue every frame of this session goes out through.</summary>
    internal MuxSendQueue Send { get; }

    /// <summary>Gets the largest Data payload to send: the smaller of both sides' frame limits.</summary>
    internal int SendFramePayloadBytes { get; private set; } = FrameLimits.MinFramePayloadBytes;

    /// <summary>
    /// Sends Hello and runs the read, write and keep-alive loops until the session ends. Never throws;
    /// the outcome is on <see cref="Completion"/>. Cancelling <paramref name="cancellationToken"/> closes the session.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The session is already running or was disposed.");
        }

        Volatile.Write(ref _lastReceivedTimestamp, _time.GetTimestamp());
        Log.SessionStarted(_logger, _isInitiator);
        try
        {
            using (cancellationToken.Register(static s => ((MuxSession)s!).Close(null, "The application cancelled the session.", sendGoAway: true), this))
            {
                Task writer = WriteLoopAsync();
                Task keepAlive = KeepAliveLoopAsync();
                await ReadLoopAsync().ConfigureAwait(false);
                await Task.WhenAll(writer, keepAlive).ConfigureAwait(false);
            }
        }
        finally
        {
            await ReleaseTransportAsync().ConfigureAwait(false);
            if (_failure is null)
            {
                _completion.TrySetResult();
            }
            else
            {
                _completion.TrySetException(_failure);
            }
        }
    }

    /// <summary>Opens a stream: sends Open with <paramref name="metadata"/> and waits for the peer's OpenAck.</summary>
    /// <exception cref="MuxStreamRejectedException">The peer reset the Open or closed the session with a reason code (carries both), or this session is at its stream limit (code <see cref="ReasonCode.Busy"/>).</exception>
    /// <exception cref="IOException">The session ended.</exception>
    public async ValueTask<MuxStream> OpenStreamAsync(ReadOnlyMemory<byte> metadata, CancellationToken cancellationToken = default)
    {
        HelloLimits peer = await _peerHello.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (metadata.Length > peer.MaxOpenMetadataBytes || metadata.Length > _options.MaxOpenMetadataBytes)
        {
            throw new ArgumentException($"Open metadata is {metadata.Length} bytes; this session allows {Math.Min(peer.MaxOpenMetadataBytes, (uint)_options.MaxOpenMetadataBytes)}.", nameof(metadata));
        }

        MuxStream stream;
        lock (_sync)
        {
            ThrowIfClosed();
            if (_streams.Count >= Math.Min(_options.MaxStreamsPerSession, peer.MaxStreamsPerSession))
            {
                // Busy, not broken: the session is fine and a stream will be free again soon.
                throw new MuxStreamRejectedException($"the session already has {_streams.Count} open streams, its limit (MaxStreamsPerSession)", ReasonCode.Busy);
            }

            if (_nextStreamId > uint.MaxValue - 2)
            {
                throw new IOException("The session has used up its stream ids; open a new session.");
            }

            stream = new MuxStream(this, _nextStreamId, (int)peer.InitialStreamWindowBytes, awaitingOpenAck: true);
            _streams.Add(stream.Id, stream);
            _nextStreamId += 2;

            // Queued under the same lock as the id is taken: the peer requires increasing ids, and
            // concurrent opens queued after the lock could reach the wire out of order.
            Send.EnqueueFrame(FrameType.Open, stream.Id, metadata.Span);
        }

        try
        {
            await stream.OpenTask.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            stream.Abort("The opener cancelled.");
            throw;
        }

        return stream;
    }

    /// <summary>
    /// Waits for the peer to open a stream. Returns <see langword="null"/> once the session has ended
    /// (see <see cref="Completion"/> for why), like a listener that was unbound.
    /// </summary>
    public async ValueTask<MuxIncomingStream?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            MuxIncomingStream incoming = await _accepts.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Decrement(ref _pendingAccepts);
            return incoming;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Sends GoAway, fails the streams still open and waits (at most <see cref="CloseGracePeriod"/> for the flush) until the session has ended.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null, "The session was disposed.", sendGoAway: true);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            await ReleaseTransportAsync().ConfigureAwait(false);
            _completion.TrySetResult();
            return;
        }

        try
        {
            // A read stuck in the transport (a peer that vanished mid-close) must not hold disposal:
            // after the grace period the transport is closed under it, which ends the loops.
            if (await Task.WhenAny(_completion.Task, Task.Delay(CloseGracePeriod * 2, _time)).ConfigureAwait(false) != _completion.Task)
            {
                await _transport.DisposeAsync().ConfigureAwait(false);
            }

            await _completion.Task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The failure is on Completion for whoever watches it; disposing is not the place to rethrow it.
        }
    }

    internal void RemoveStream(uint streamId)
    {
        lock (_sync)
        {
            _streams.Remove(streamId);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(_stop.Token).ConfigureAwait(false);
                Volatile.Write(ref _lastReceivedTimestamp, _time.GetTimestamp());
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (FrameReader.TryParse(buffer, _options.MaxFramePayloadBytes, _options.MaxOpenMetadataBytes, out Frame frame, out SequencePosition consumed))
                    {
                        Dispatch(frame);
                        buffer = buffer.Slice(consumed);
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    string detail = buffer.IsEmpty ? string.Empty : $" in the middle of a frame ({buffer.Length} bytes pending)";
                    Close(new IOException($"The transport closed{detail} without a GoAway."), "The transport closed.", sendGoAway: false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Close() asked the loops to stop.
        }
        catch (OverlayProtocolException ex)
        {
            Close(new IOException($"Overlay protocol violation: {ex.Message}", ex), ex.Message, sendGoAway: true, ReasonCode.ProtocolViolation);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever the transport throws (socket, TLS, disposal) ends this session and nothing else.
            Close(new IOException($"The transport failed: {ex.Message}", ex), "The transport failed.", sendGoAway: false);
        }
    }

    private void Dispatch(in Frame frame)
    {
        if (!_peerHello.Task.IsCompleted)
        {
            if (frame.Type != FrameType.Hello)
            {
                throw new OverlayProtocolException($"Expected Hello as the first frame, got {frame.Type}.");
            }

            HelloLimits limits = HelloLimits.Read(frame.Payload);
            SendFramePayloadBytes = (int)Math.Min(limits.MaxFramePayloadBytes, (uint)_options.MaxFramePayloadBytes);
            _peerHello.TrySetResult(limits);
            return;
        }

        switch (frame.Type)
        {
            case FrameType.Hello:
                throw new OverlayProtocolException("The peer sent a second Hello.");
            case FrameType.Ping:
                Send.EnqueueValue(FrameType.Pong, 0, FrameReader.ReadPing(frame.Payload), fromReadLoop: true);
                return;
            case FrameType.Pong:
                return;
            case FrameType.GoAway:
                (ReasonCode code, string reason) = FrameReader.ReadReason(frame.Payload);
                if (code != ReasonCode.None)
                {
                    lock (_sync)
                    {
                        _peerRefusal ??= (code, reason);
                    }
                }

                Close(null, $"The peer closed the session: {reason}", sendGoAway: false);
                return;
            case FrameType.Open:
                OnOpen(frame);
                return;
        }

        MuxStream? stream = FindStream(frame.StreamId, frame.Type);
        if (stream is null)
        {
            return;
        }

        switch (frame.Type)
        {
            case FrameType.OpenAck:
                stream.OnOpenAck();
                break;
            case FrameType.Data:
                stream.OnData(frame.Payload);
                break;
            case FrameType.Credit:
                stream.OnCredit(FrameReader.ReadCredit(frame.Payload));
                break;
            case FrameType.Close:
                stream.OnPeerClose();
                break;
            case FrameType.Reset:
                (ReasonCode resetCode, string resetReason) = FrameReader.ReadReason(frame.Payload);
                stream.OnPeerReset(resetCode, resetReason);
                break;
        }
    }

    private MuxStream? FindStream(uint streamId, FrameType type)
    {
        bool peerOpened = (streamId % 2 == 1) != _isInitiator;
        lock (_sync)
        {
            if (_streams.TryGetValue(streamId, out MuxStream? stream))
            {
                return stream;
            }

            // A stream that existed and has since ended: late frames for it are expected and dropped.
            bool existed = peerOpened ? streamId <= _lastPeerStreamId : streamId < _nextStreamId;
            return existed ? null : throw new OverlayProtocolException($"{type} frame for stream {streamId}, which was never opened.");
        }
    }

    private void OnOpen(in Frame frame)
    {
        uint id = frame.StreamId;
        bool peerParity = (id % 2 == 1) != _isInitiator;
        string? refusal = null;
        ReasonCode refusalCode = ReasonCode.Busy;
        MuxStream? stream = null;
        lock (_sync)
        {
            if (!peerParity || id <= _lastPeerStreamId)
            {
                throw new OverlayProtocolException($"The peer opened stream {id}, which it may not use (wrong parity or not increasing).");
            }

            _lastPeerStreamId = id;
            if (_closed)
            {
                refusal = "The session is closing.";
                refusalCode = ReasonCode.Refused;
            }
            else if (_streams.Count >= _options.MaxStreamsPerSession)
            {
                refusal = $"The session already has {_streams.Count} open streams, its limit.";
            }
            else if (Volatile.Read(ref _pendingAccepts) >= _options.MaxPendingAccepts)
            {
                refusal = "busy";
            }
            else
            {
                stream = new MuxStream(this, id, (int)_peerHello.Task.Result.InitialStreamWindowBytes, awaitingOpenAck: false);
                _streams.Add(id, stream);
                Interlocked.Increment(ref _pendingAccepts);
            }
        }

        if (stream is null)
        {
            Log.IncomingStreamRefused(_logger, id, refusal!);
            Send.EnqueueReason(FrameType.Reset, id, refusalCode, refusal!, fromReadLoop: true);
            return;
        }

        if (!_accepts.Writer.TryWrite(new MuxIncomingStream(stream, frame.Payload.ToArray())))
        {
            stream.Abort("The session is closing.");
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await Send.WriteLoopAsync(_output, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Close() gave up on flushing after the grace period, or the transport is gone.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Close(new IOException($"Writing to the transport failed: {ex.Message}", ex), "The transport failed.", sendGoAway: false);
        }
        finally
        {
            // Everything queued is out (or never will be): stop the read and keep-alive loops.
            await _stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        TimeSpan tick = TimeSpan.FromTicks(Math.Min(_options.KeepAliveInterval.Ticks, _options.IdleTimeout.Ticks) / 2);
        using var timer = new PeriodicTimer(tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                TimeSpan silent = _time.GetElapsedTime(Volatile.Read(ref _lastReceivedTimestamp));
                if (silent >= _options.IdleTimeout)
                {
                    var dead = new IOException($"Nothing received from the peer for {silent.TotalSeconds:0.###} s (IdleTimeout {_options.IdleTimeout.TotalSeconds:0.###} s); the session is considered dead.");
                    Close(dead, "Idle timeout: the peer stopped responding.", sendGoAway: false);
                    return;
                }

                if (silent >= _options.KeepAliveInterval)
                {
                    Send.EnqueueValue(FrameType.Ping, 0, ++_pingCounter);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The session ended.
        }
    }

    /// <summary>
    /// Refuses the session: sends Hello then a GoAway carrying <paramref name="code"/> and <paramref name="reason"/>,
    /// so the peer's opens fail with that code. <see cref="RunAsync"/> then only flushes them and ends.
    /// </summary>
    internal void Refuse(ReasonCode code, string reason) => Close(null, reason, sendGoAway: true, code);

    /// <summary>Ends the session once: fails every stream, stops accepting, and lets the write loop flush what is queued (plus a GoAway) within the grace period.</summary>
    private void Close(Exception? failure, string reason, bool sendGoAway, ReasonCode code = ReasonCode.None)
    {
        List<MuxStream> streams;
        MuxStreamRejectedException? refusal;
        lock (_sync)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _failure = failure;
            ClosedReason = reason;
            streams = [.. _streams.Values];
            _streams.Clear();
            refusal = PeerRefusal();
        }

        if (failure is null)
        {
            Log.SessionEnded(_logger, reason);
        }
        else
        {
            Log.SessionFailed(_logger, reason, failure);
        }

        var streamError = new IOException($"The overlay session ended: {reason}", failure);
        foreach (MuxStream stream in streams)
        {
            stream.OnSessionEnded(streamError, refusal);
        }

        _peerHello.TrySetException(streamError);
        _accepts.Writer.TryComplete();

        // Opens still queued are dead (their streams just failed): AcceptAsync returns null, not them.
        while (_accepts.Reader.TryRead(out _))
        {
            Interlocked.Decrement(ref _pendingAccepts);
        }

        if (sendGoAway)
        {
            Send.EnqueueReason(FrameType.GoAway, 0, code, reason);
        }

        Send.Complete();
        try
        {
            if (sendGoAway)
            {
                _stop.CancelAfter(CloseGracePeriod);
            }
            else
            {
                _stop.Cancel();
            }
        }
        catch (ObjectDisposedException)
        {
            // RunAsync already finished.
        }
    }

    /// <summary>Must be called under <see cref="_sync"/>.</summary>
    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw PeerRefusal() ?? new IOException($"The overlay session has ended: {ClosedReason}", _failure);
        }
    }

    /// <summary>The refusal the peer's GoAway carried, for opens it ended; must be called under <see cref="_sync"/>.</summary>
    private MuxStreamRejectedException? PeerRefusal() =>
        _peerRefusal is { } refused ? new MuxStreamRejectedException(refused.Words, refused.Code) : null;

    /// <summary>Releases the pipes and the transport. Never throws and never waits on the network: whatever the write loop did not flush is dropped.</summary>
    private async Task ReleaseTransportAsync()
    {
        var dropped = new IOException("The overlay session ended; frames not yet written were dropped.");
        try
        {
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync(dropped).ConfigureAwait(false);
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The transport is already broken; there is nothing left to release cleanly.
        }
        finally
        {
            Send.ReturnBuffers();
            _stop.Dispose();
        }
    }
}
