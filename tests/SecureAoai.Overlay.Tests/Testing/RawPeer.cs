using System.Buffers;
using System.IO.Pipelines;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>The far end of a session's transport driven frame by frame by a test, to send what a real session never would.</summary>
internal sealed class RawPeer(Stream stream) : IAsyncDisposable
{
    private readonly PipeReader _reader = PipeReader.Create(stream);
    private readonly PipeWriter _writer = PipeWriter.Create(stream);

    public async Task SendHelloAsync()
    {
        FrameWriter.WriteHello(_writer, HelloLimits.From(new MuxOptions()));
        await _writer.FlushAsync();
    }

    public async Task SendHelloAsync(HelloLimits limits)
    {
        FrameWriter.WriteHello(_writer, limits);
        await _writer.FlushAsync();
    }

    /// <summary>Queues a frame without flushing, so a burst goes out in few writes.</summary>
    public void Write(FrameType type, uint streamId, ReadOnlySpan<byte> payload) => FrameWriter.Write(_writer, type, streamId, payload);

    public async Task FlushAsync() => await _writer.FlushAsync();

    /// <summary>A Reset or GoAway payload: the reason code (big-endian), then the words.</summary>
    public static byte[] Reason(ReasonCode code, string words) =>
        [(byte)((ushort)code >> 8), (byte)code, .. System.Text.Encoding.UTF8.GetBytes(words)];

    public async Task SendAsync(FrameType type, uint streamId, byte[] payload)
    {
        FrameWriter.Write(_writer, type, streamId, payload);
        await _writer.FlushAsync();
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _writer.WriteAsync(bytes);
    }

    /// <summary>Reads the next frame; returns its type, stream id and a copy of its payload, or null at end of stream.</summary>
    public async Task<(FrameType Type, uint StreamId, byte[] Payload)?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < 10_000; i++)
        {
            ReadResult result = await _reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (FrameReader.TryParse(buffer, FrameLimits.HardMaxFramePayloadBytes, FrameLimits.HardMaxFramePayloadBytes, out Frame frame, out SequencePosition consumed))
            {
                var copy = (frame.Type, frame.StreamId, frame.Payload.ToArray());
                _reader.AdvanceTo(consumed);
                return copy;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }

        throw new InvalidOperationException("No frame after 10,000 reads.");
    }

    /// <summary>Reads frames until one of <paramref name="type"/> arrives; null if the stream ends first.</summary>
    public async Task<(FrameType Type, uint StreamId, byte[] Payload)?> ReceiveUntilAsync(FrameType type, CancellationToken cancellationToken = default)
    {
        for (int i = 0; i < 10_000; i++)
        {
            var frame = await ReceiveAsync(cancellationToken);
            if (frame is null || frame.Value.Type == type)
            {
                return frame;
            }
        }

        throw new InvalidOperationException($"No {type} frame among 10,000.");
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _writer.CompleteAsync();
        await stream.DisposeAsync();
    }
}
