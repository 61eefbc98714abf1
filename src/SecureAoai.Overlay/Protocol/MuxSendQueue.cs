using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// The one place a session's frames are written: any thread enqueues, a single loop writes them to the
/// transport in order and flushes in batches, so frames never interleave and the read loop never waits
/// on the network. Hello goes first; Ping, Pong and Credit then jump ahead of queued data, so heartbeats
/// and window updates are not stuck behind a bulk transfer (none of them depends on the order of
/// stream frames). Data frames are bounded by the peer's credit; frames the read loop queues (Pong,
/// Reset) by <see cref="MaxQueuedControlFrames"/>.
/// </summary>
internal sealed class MuxSendQueue(HelloLimits ownLimits)
{
    /// <summary>Frames the read loop may have queued before a peer that does not read is dropped.</summary>
    internal const int MaxQueuedControlFrames = 4096;

    /// <summary>Bytes written before a flush inside a batch, so one batch never grows without bound.</summary>
    private const int FlushThresholdBytes = 64 * 1024;

    /// <summary>Marks an entry of <see cref="_frames"/> that only wakes the write loop for <see cref="_urgent"/>.</summary>
    private const FrameType WakeUp = 0;

    private readonly Channel<OutgoingFrame> _frames = Channel.CreateUnbounded<OutgoingFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly System.Collections.Concurrent.ConcurrentQueue<OutgoingFrame> _urgent = new();
    private int _queuedControlFrames;

    /// <summary>Queues a frame, copying <paramref name="payload"/> into a pooled buffer. Dropped silently once the queue is completed.</summary>
    /// <exception cref="OverlayProtocolException"><paramref name="fromReadLoop"/> and the peer left too many control frames unread.</exception>
    public void EnqueueFrame(FrameType type, uint streamId, ReadOnlySpan<byte> payload, bool fromReadLoop = false)
    {
        byte[]? buffer = null;
        if (!payload.IsEmpty)
        {
            buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
            payload.CopyTo(buffer);
        }

        Enqueue(new OutgoingFrame(type, streamId, buffer, payload.Length, 0, fromReadLoop));
    }

    /// <summary>Queues a Reset or GoAway whose reason is truncated to <see cref="FrameLimits.MaxReasonBytes"/> of UTF-8.</summary>
    public void EnqueueReason(FrameType type, uint streamId, string reason, bool fromReadLoop = false)
    {
        Span<byte> bytes = stackalloc byte[FrameLimits.MaxReasonBytes];
        System.Text.Encoding.UTF8.GetEncoder().Convert(reason, bytes, flush: true, out _, out int length, out _);
        EnqueueFrame(type, streamId, bytes[..length], fromReadLoop);
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

    /// <summary>Accepts no more frames; <see cref="WriteLoopAsync"/> ends once it has written what is queued.</summary>
    public void Complete() => _frames.Writer.TryComplete();

    /// <summary>Writes Hello, then queued frames to <paramref name="output"/> until <see cref="Complete"/> and the queue is empty. Transport errors and cancellation propagate.</summary>
    public async Task WriteLoopAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        FrameWriter.WriteHello(output, ownLimits);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        ChannelReader<OutgoingFrame> reader = _frames.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
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
                }

                if (output.UnflushedBytes >= FlushThresholdBytes)
                {
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Returns the pooled buffers of frames that will never be written.</summary>
    public void ReturnBuffers()
    {
        while (_frames.Reader.TryRead(out OutgoingFrame frame))
        {
            if (frame.Buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(frame.Buffer);
            }
        }
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
        if (!_frames.Writer.TryWrite(frame) && frame.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(frame.Buffer);
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
                FrameWriter.Write(output, frame.Type, frame.StreamId, frame.Buffer.AsSpan(0, frame.Length));
                break;
        }

        if (frame.Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(frame.Buffer);
        }
    }
}
