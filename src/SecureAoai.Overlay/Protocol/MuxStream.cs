using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// One bidirectional stream of a <see cref="MuxSession"/>, with per-stream credit flow control: a write
/// waits until the peer has granted window for it, and received data is buffered only up to this side's
/// window, credit going back as the application reads. Only asynchronous reads and writes are supported;
/// one read and one write may run at a time.
/// </summary>
/// <remarks>
/// <see cref="CompleteWritesAsync"/> half-closes (the peer reads 0 after draining). <see cref="Abort(string)"/>
/// resets the stream both ways with a reason the peer sees in the <see cref="IOException"/> its reads
/// and writes then throw. Disposing is graceful when the peer has finished writing; otherwise, like a TCP
/// close with unread data, it resets the stream.
/// </remarks>
internal sealed class MuxStream : Stream
{
    // No pause threshold: the window bounds what is buffered, and the session's read loop must never wait on it.
    private static readonly PipeOptions ReceivePipeOptions = new(BlockPool.Overlay, pauseWriterThreshold: 0, resumeWriterThreshold: 0, minimumSegmentSize: BlockPool.BlockBytes, useSynchronizationContext: false);

    private readonly MuxSession _session;
    private readonly Pipe _receive = new(ReceivePipeOptions);
    private readonly TaskCompletionSource? _openAck;
    private readonly int _windowBytes;
    private readonly int _peerWindowBytes;
    private readonly Lock _sync = new();
    private readonly AsyncSignal _writerWake = new();
    private Action? _wakeWriter;
    private Task? _watchedRoom;
    private long _sendCredit;
    private int _receiveWindow;
    private int _consumedSinceCredit;
    private int _bufferedBytes;
    private int _maxBufferedBytes;
    private bool _writesCompleted;
    private bool _peerWritesCompleted;
    private IOException? _dead;
    private ReasonCode? _peerResetCode;

    internal MuxStream(MuxSession session, uint id, int peerWindowBytes, bool awaitingOpenAck)
    {
        _session = session;
        Id = id;
        _sendCredit = peerWindowBytes;
        _peerWindowBytes = peerWindowBytes;
        _windowBytes = session.Options.InitialStreamWindowBytes;
        _receiveWindow = _windowBytes;
        if (awaitingOpenAck)
        {
            _openAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Gets the stream id on the wire: odd if the session initiator opened it, even otherwise.</summary>
    public uint Id { get; }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Gets the bytes received and not yet read by the application; never more than the window.</summary>
    internal int BufferedReceiveBytes => Volatile.Read(ref _bufferedBytes);

    /// <summary>Gets the most bytes ever buffered at once on the receive side.</summary>
    internal int MaxBufferedReceiveBytes => Volatile.Read(ref _maxBufferedBytes);

    internal Task OpenTask => _openAck?.Task ?? Task.CompletedTask;

    /// <summary>Gets whether the session this stream runs on is closing or closed (the connection to the peer is lost or going).</summary>
    internal bool IsSessionClosed => _session.IsClosed;

    /// <summary>Gets the reason code of the peer's reset, once the peer reset the stream; <see langword="null"/> otherwise (open, closed, aborted here or its session ended).</summary>
    internal ReasonCode? PeerResetCode
    {
        get
        {
            lock (_sync)
            {
                return _peerResetCode;
            }
        }
    }

    /// <summary>Gets whether the stream was reset, aborted or its session ended.</summary>
    internal bool IsDead
    {
        get
        {
            lock (_sync)
            {
                return _dead is not null;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>A read with an empty buffer waits until data or the end is there and returns 0 without consuming anything, so a caller can wait without holding a buffer.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ReadResult result = await _receive.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        ReadOnlySequence<byte> data = result.Buffer;
        if (data.IsEmpty || buffer.IsEmpty)
        {
            _receive.Reader.AdvanceTo(data.Start);
            return 0;
        }

        int count = (int)Math.Min(data.Length, buffer.Length);
        data.Slice(0, count).CopyTo(buffer.Span);
        _receive.Reader.AdvanceTo(data.GetPosition(count));
        OnConsumed(count);
        return count;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    /// <remarks>
    /// Waits while the peer has granted no window on this stream, and while the session already holds
    /// its MaxUnflushedSendBytes for the transport: a peer that stops reading holds its writers back.
    /// The bytes are copied into the session's queue before this returns, in Data frames of at most one
    /// pooled block (<see cref="BlockPool.BlockBytes"/>).
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int maxFrame = Math.Min(_session.SendFramePayloadBytes, BlockPool.BlockBytes);
        while (!buffer.IsEmpty)
        {
            int chunk;
            ValueTask wake = default;
            lock (_sync)
            {
                ThrowIfCannotWrite();
                chunk = (int)Math.Min(Math.Min(_sendCredit, buffer.Length), maxFrame);
                _sendCredit -= chunk;
                if (chunk == 0)
                {
                    // Armed under the lock OnCredit and Fail take, so their wake cannot come in between.
                    wake = _writerWake.WaitAsync(cancellationToken);
                }
            }

            if (chunk == 0)
            {
                await wake.ConfigureAwait(false);
                continue;
            }

            if (!_session.Send.TryEnqueueData(Id, buffer.Span[..chunk], out Task room))
            {
                lock (_sync)
                {
                    // The credit was taken, not used: it goes back whole, so none is lost to a concurrent clamp.
                    _sendCredit += chunk;
                    wake = _writerWake.WaitAsync(cancellationToken);
                }

                // Room for the session, credit or a failure of this stream: whichever comes first wakes the writer.
                // One continuation per room task: a peer that sends Credit while it does not read the
                // transport wakes this writer again and again on the same room, and must not grow its list.
                if (!ReferenceEquals(room, _watchedRoom))
                {
                    _watchedRoom = room;
                    room.GetAwaiter().UnsafeOnCompleted(_wakeWriter ??= _writerWake.Set);
                }
                else if (room.IsCompleted)
                {
                    // Its continuation may have fired before this wait was armed, and a wake with no waiter is dropped.
                    _writerWake.Set();
                }

                await wake.ConfigureAwait(false);
                continue;
            }

            buffer = buffer[chunk..];
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Half-closes: sends Close; the peer's reads return 0 once they have drained what was sent. Reading stays possible.</summary>
    public ValueTask CompleteWritesAsync()
    {
        CompleteWrites();
        return ValueTask.CompletedTask;
    }

    /// <summary>Resets the stream both ways; the peer's reads and writes fail with <paramref name="reason"/> (truncated to 1 KiB of UTF-8).</summary>
    public void Abort(string reason) => Abort(ReasonCode.None, reason);

    /// <summary>Resets the stream both ways with a reason code; an opener still waiting for OpenAck gets a <see cref="MuxStreamRejectedException"/> carrying it.</summary>
    internal void Abort(ReasonCode code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Fail(new IOException($"The stream was aborted: {reason}")))
        {
            _session.Send.EnqueueReason(FrameType.Reset, Id, code, reason);
            _session.RemoveStream(Id);
        }
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override void Flush()
    {
        // Writes are queued to the session as they happen; there is nothing to flush.
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Overlay streams are asynchronous only; use ReadAsync.");

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Overlay streams are asynchronous only; use WriteAsync.");

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    internal void OnOpenAck()
    {
        if (_openAck is null || !_openAck.TrySetResult())
        {
            throw new OverlayProtocolException($"Unexpected OpenAck for stream {Id}.");
        }
    }

    /// <summary>Marks an incoming stream accepted and sends OpenAck.</summary>
    internal void Accept()
    {
        lock (_sync)
        {
            if (_dead is not null)
            {
                throw _dead;
            }
        }

        _session.Send.EnqueueFrame(FrameType.OpenAck, Id, []);
    }

    internal void OnData(in ReadOnlySequence<byte> payload)
    {
        int length = (int)payload.Length;
        lock (_sync)
        {
            if (_peerWritesCompleted)
            {
                throw new OverlayProtocolException($"Data on stream {Id} after the peer closed it.");
            }

            if (length > _receiveWindow)
            {
                throw new OverlayProtocolException($"Flow-control violation on stream {Id}: {length} bytes sent with {_receiveWindow} bytes of window.");
            }

            _receiveWindow -= length;
            if (_dead is not null)
            {
                return;
            }

            foreach (ReadOnlyMemory<byte> segment in payload)
            {
                _receive.Writer.Write(segment.Span);
            }

            // No pause threshold: this completes at once, so the read loop never waits on an application.
            ValueTask<FlushResult> flush = _receive.Writer.FlushAsync(CancellationToken.None);
            if (!flush.IsCompleted)
            {
                _ = flush.AsTask();
            }
            else
            {
                _ = flush.Result;
            }

            _bufferedBytes += length;
            _maxBufferedBytes = Math.Max(_maxBufferedBytes, _bufferedBytes);
        }
    }

    internal void OnCredit(uint increment)
    {
        lock (_sync)
        {
            // An honest peer never grants past the window it announced; more would let a peer that does
            // not read make this side queue without bound, so the excess is ignored.
            _sendCredit = Math.Min(_sendCredit + increment, _peerWindowBytes);
        }

        _writerWake.Set();
    }

    internal void OnPeerClose()
    {
        lock (_sync)
        {
            if (_peerWritesCompleted)
            {
                throw new OverlayProtocolException($"The peer closed stream {Id} twice.");
            }

            _peerWritesCompleted = true;
            if (_dead is null)
            {
                _receive.Writer.Complete();
            }
        }

        RemoveIfDone();
    }

    internal void OnPeerReset(ReasonCode code, string reason)
    {
        _openAck?.TrySetException(new MuxStreamRejectedException(reason, code));
        lock (_sync)
        {
            // Only a reset that ends a live stream says why it ended; one after this side's abort says nothing.
            if (_dead is null)
            {
                _peerResetCode = code;
            }
        }

        Fail(new IOException($"The peer reset the stream: {reason}"));
        _session.RemoveStream(Id);
    }

    /// <summary>The session ended; an opener still waiting for OpenAck gets <paramref name="refusal"/> when the peer closed the session with a reason code.</summary>
    internal void OnSessionEnded(IOException error, MuxStreamRejectedException? refusal)
    {
        if (refusal is not null)
        {
            _openAck?.TrySetException(refusal);
        }

        Fail(error);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            bool reset;
            lock (_sync)
            {
                reset = _dead is null && !_peerWritesCompleted;
            }

            if (reset)
            {
                Abort("The stream was disposed before the peer finished writing.");
            }
            else
            {
                CompleteWrites();
            }

            _receive.Reader.Complete();
        }

        base.Dispose(disposing);
    }

    private bool Fail(IOException error)
    {
        lock (_sync)
        {
            if (_dead is not null)
            {
                return false;
            }

            _dead = error;
            _receive.Writer.Complete(error);
        }

        _openAck?.TrySetException(error);
        _writerWake.Set();
        return true;
    }

    private void OnConsumed(int count)
    {
        int increment = 0;
        lock (_sync)
        {
            _bufferedBytes -= count;
            _consumedSinceCredit += count;
            if (_consumedSinceCredit >= _windowBytes / 2 && !_peerWritesCompleted && _dead is null)
            {
                increment = _consumedSinceCredit;
                _consumedSinceCredit = 0;
                _receiveWindow += increment;
            }
        }

        if (increment > 0)
        {
            _session.Send.EnqueueValue(FrameType.Credit, Id, (ulong)increment);
        }
    }

    private void CompleteWrites()
    {
        lock (_sync)
        {
            if (_writesCompleted || _dead is not null)
            {
                return;
            }

            _writesCompleted = true;
        }

        _session.Send.EnqueueFrame(FrameType.Close, Id, []);
        RemoveIfDone();
    }

    private void ThrowIfCannotWrite()
    {
        if (_dead is not null)
        {
            throw new IOException(_dead.Message, _dead);
        }

        if (_writesCompleted)
        {
            throw new InvalidOperationException("Writes were completed on this stream (CompleteWritesAsync or dispose).");
        }
    }

    private void RemoveIfDone()
    {
        bool done;
        lock (_sync)
        {
            done = _writesCompleted && _peerWritesCompleted;
        }

        if (done)
        {
            _session.RemoveStream(Id);
        }
    }
}
