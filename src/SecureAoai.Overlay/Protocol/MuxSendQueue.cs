using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// The one place a session's frames are written: any thread enqueues, a single loop writes them to the
/// transport in order and flushes in batches, so frames never interleave and the read loop never waits
/// on the network. Hello goes first; Ping, Pong and Credit then jump ahead of queued data, so heartbeats
/// and window updates are not stuck behind a bulk transfer (none of them depends on the order of
/// stream frames). Data frames are bounded by the peer's credit per stream and, for the whole session,
/// by <c>maxUnflushedBytes</c>: <see cref="TryEnqueueData"/> refuses while the transport has not taken
/// that much, so writers wait instead of the queue growing without bound when a peer stops reading.
/// Frames the read loop queues (Pong, Reset) are bounded by <see cref="MaxQueuedControlFrames"/>.
/// </summary>
internal sealed class MuxSendQueue(HelloLimits ownLimits, int maxUnflushedBytes)
{
    /// <summary>Frames the read loop may have queued before a peer that does not read is dropped.</summary>
    internal const int MaxQueuedControlFrames = 4096;

    /// <summary>Bytes written before a flush inside a batch, so one batch never grows without bound.</summary>
    private const int FlushThresholdBytes = 64 * 1024;

    /// <summary>Marks an entry of <see cref="_frames"/> that only wakes the write loop for <see cref="_urgent"/>.</summary>
    private const FrameType WakeUp = 0;

    private readonly Channel<OutgoingFrame> _frames = Channel.CreateUnbounded<OutgoingFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly System.Collections.Concurrent.ConcurrentQueue<OutgoingFrame> _urgent = new();
    private readonly Lock _roomSync = new();
    private int _queuedControlFrames;
    private long _unflushedBytes;
    private long _peakUnflushedBytes;
    private TaskCompletionSource? _room;
    private bool _completed;

    /// <summary>Gets the bytes of frames queued or written and not yet flushed to the transport (Credit, Ping and Pong not counted).</summary>
    public long UnflushedBytes
    {
        get
        {
            lock (_roomSync)
            {
                return _unflushedBytes;
            }
        }
    }

    /// <summary>Gets the most <see cref="UnflushedBytes"/> there ever were at once.</summary>
    public long PeakUnflushedBytes
    {
        get
        {
            lock (_roomSync)
            {
                return _peakUnflushedBytes;
            }
        }
    }

    /// <summary>
    /// Queues a Data frame if the session has room for it under <c>maxUnflushedBytes</c> (always when
    /// nothing is unflushed, so one frame larger than the limit still goes). Otherwise queues nothing and
    /// returns <see langword="false"/> with a task that completes once the transport has taken half of
    /// what is unflushed, or the queue is completed. Writers that wait are served before new ones.
    /// </summary>
    public bool TryEnqueueData(uint streamId, ReadOnlySpan<byte> payload, out Task roomAvailable)
    {
        long bytes = FrameLimits.HeaderBytes + payload.Length;
        lock (_roomSync)
        {
            if (!_completed && _unflushedBytes > 0 && (_room is not null || _unflushedBytes + bytes > maxUnflushedBytes))
            {
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                roomAvailable = _room.Task;
                return false;
            }

            AddUnflushed(bytes);
        }

        roomAvailable = Task.CompletedTask;
        EnqueueCounted(FrameType.Data, streamId, payload, fromReadLoop: false);
        return true;
    }

    /// <summary>Queues a frame, copying <paramref name="payload"/> into a pooled block. Dropped silently once the queue is completed.</summary>
    /// <exception cref="OverlayProtocolException"><paramref name="fromReadLoop"/> and the peer left too many control frames unread.</exception>
    public void EnqueueFrame(FrameType type, uint streamId, ReadOnlySpan<byte> payload, bool fromReadLoop = false)
    {
        lock (_roomSync)
        {
            AddUnflushed(FrameLimits.HeaderBytes + payload.Length);
        }

        EnqueueCounted(type, streamId, payload, fromReadLoop);
    }

    private void EnqueueCounted(FrameType type, uint streamId, ReadOnlySpan<byte> payload, bool fromReadLoop)
    {
        if (payload.IsEmpty)
        {
            Enqueue(new OutgoingFrame(type, streamId, null, 0, 0, fromReadLoop));
        }
        else if (payload.Length <= BlockPool.BlockBytes)
        {
            PooledBlock block = BlockPool.Overlay.RentBlock();
            payload.CopyTo(block.Array);
            Enqueue(new OutgoingFrame(type, streamId, null, payload.Length, 0, fromReadLoop, block));
        }
        else
        {
            // Only Open metadata above a block's size (MaxOpenMetadataBytes raised past it) comes here.
            byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(buffer);
            Enqueue(new OutgoingFrame(type, streamId, buffer, payload.Length, 0, fromReadLoop));
        }
    }

    /// <summary>Queues a Reset or GoAway: the reason code, then the words truncated to <see cref="FrameLimits.MaxReasonBytes"/> of UTF-8.</summary>
    public void EnqueueReason(FrameType type, uint streamId, ReasonCode code, string reason, bool fromReadLoop = false)
    {
        Span<byte> bytes = stackalloc byte[FrameLimits.ReasonCodeBytes + FrameLimits.MaxReasonBytes];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)code);
        System.Text.Encoding.UTF8.GetEncoder().Convert(reason, bytes[FrameLimits.ReasonCodeBytes..], flush: true, out _, out int length, out _);
        EnqueueFrame(type, streamId, bytes[..(FrameLimits.ReasonCodeBytes + length)], fromReadLoop);
    }

    /// <summary>Queues a frame whose payload is one number, ahead of queued data: Credit (uint32), Ping or Pong (uint64).</summary>
    public void EnqueueValue(FrameType type, uint streamId, ulong value, bool fromReadLoop = false)
    {
        if (type is not (FrameType.Credit or FrameType.Ping or FrameType.Pong))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Only Credit, Ping and Pong carry a single value.");
        }

        CountControlFrame(fromReadLoop);
        _urgent.Enqueue(new OutgoingFrame(type, streamId, null, 0, value, fromReadLoop));
        _frames.Writer.TryWrite(new OutgoingFrame(WakeUp, 0, null, 0, 0, FromReadLoop: false));
    }

    /// <summary>Accepts no more frames and wakes writers waiting for room; <see cref="WriteLoopAsync"/> ends once it has written what is queued.</summary>
    public void Complete()
    {
        _frames.Writer.TryComplete();
        TaskCompletionSource? room;
        lock (_roomSync)
        {
            _completed = true;
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    /// <summary>Writes Hello, then queued frames to <paramref name="output"/> until <see cref="Complete"/> and the queue is empty. Transport errors and cancellation propagate.</summary>
    public async Task WriteLoopAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        FrameWriter.WriteHello(output, ownLimits);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        ChannelReader<OutgoingFrame> reader = _frames.Reader;
        long written = 0;
        // No token on the wait: the session completes the queue whenever it closes, which ends it, and a
        // token here would cost an allocation per wait (the channel reuses its waiter only without one).
        while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (reader.TryRead(out OutgoingFrame frame))
            {
                while (_urgent.TryDequeue(out OutgoingFrame urgent))
                {
                    Write(output, urgent);
                }

                if (frame.Type != WakeUp)
                {
                    Write(output, frame);
                    written += FrameLimits.HeaderBytes + frame.Length;
                }

                if (output.UnflushedBytes >= FlushThresholdBytes)
                {
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    Flushed(ref written);
                }
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            Flushed(ref written);
        }
    }

    /// <summary>Returns the pooled buffers of frames that will never be written.</summary>
    public void ReturnBuffers()
    {
        while (_frames.Reader.TryRead(out OutgoingFrame frame))
        {
            frame.Release();
        }
    }

    /// <summary>Must be called under <see cref="_roomSync"/>.</summary>
    private void AddUnflushed(long bytes)
    {
        _unflushedBytes += bytes;
        _peakUnflushedBytes = Math.Max(_peakUnflushedBytes, _unflushedBytes);
    }

    /// <summary>The transport took <paramref name="written"/> bytes: wakes the writers waiting for room once half the limit is free.</summary>
    private void Flushed(ref long written)
    {
        TaskCompletionSource? room = null;
        lock (_roomSync)
        {
            _unflushedBytes -= written;
            if (_room is not null && _unflushedBytes <= maxUnflushedBytes / 2)
            {
                room = _room;
                _room = null;
            }
        }

        written = 0;
        room?.TrySetResult();
    }

    private void CountControlFrame(bool fromReadLoop)
    {
        if (fromReadLoop && Interlocked.Increment(ref _queuedControlFrames) > MaxQueuedControlFrames)
        {
            throw new OverlayProtocolException($"The peer left more than {MaxQueuedControlFrames} control frames unread.");
        }
    }

    private void Enqueue(in OutgoingFrame frame)
    {
        CountControlFrame(frame.FromReadLoop);
        if (!_frames.Writer.TryWrite(frame))
        {
            long written = FrameLimits.HeaderBytes + frame.Length;
            Flushed(ref written);
            frame.Release();
        }
    }

    private void Write(PipeWriter output, in OutgoingFrame frame)
    {
        if (frame.FromReadLoop)
        {
            Interlocked.Decrement(ref _queuedControlFrames);
        }

        switch (frame.Type)
        {
            case FrameType.Credit:
                FrameWriter.WriteCredit(output, frame.StreamId, (uint)frame.Value);
                break;
            case FrameType.Ping or FrameType.Pong:
                FrameWriter.WritePing(output, frame.Type, frame.Value);
                break;
            default:
                FrameWriter.Write(output, frame.Type, frame.StreamId, frame.Payload);
                break;
        }

        frame.Release();
    }
}
