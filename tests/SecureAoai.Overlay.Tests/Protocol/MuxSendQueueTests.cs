using System.Buffers;
using System.IO.Pipelines;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Tests.Protocol;

public sealed class MuxSendQueueTests
{
    [Fact]
    public async Task WriteLoopAsync_PongQueuedBehindData_WrittenRightAfterHello()
    {
        var queue = new MuxSendQueue(HelloLimits.From(new MuxOptions()), new MuxOptions().MaxUnflushedSendBytes);
        for (int i = 0; i < 10; i++)
        {
            queue.EnqueueFrame(FrameType.Data, 1, new byte[1000]);
        }

        queue.EnqueueValue(FrameType.Pong, 0, 7, fromReadLoop: true);
        queue.EnqueueFrame(FrameType.Close, 1, []);
        queue.Complete();
        var pipe = new Pipe();

        await queue.WriteLoopAsync(pipe.Writer, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        await pipe.Writer.CompleteAsync();

        List<FrameType> types = await ReadTypesAsync(pipe.Reader);
        Assert.Equal([FrameType.Hello, FrameType.Pong, .. Enumerable.Repeat(FrameType.Data, 10), FrameType.Close], types);
    }

    [Fact]
    public void EnqueueValue_ReadLoopFloodsControlFrames_ThrowsProtocolExceptionPastTheLimit()
    {
        var queue = new MuxSendQueue(HelloLimits.From(new MuxOptions()), new MuxOptions().MaxUnflushedSendBytes);
        for (int i = 0; i < MuxSendQueue.MaxQueuedControlFrames; i++)
        {
            queue.EnqueueValue(FrameType.Pong, 0, (ulong)i, fromReadLoop: true);
        }

        Assert.Throws<OverlayProtocolException>(() => queue.EnqueueValue(FrameType.Pong, 0, 0, fromReadLoop: true));
    }

    private static async Task<List<FrameType>> ReadTypesAsync(PipeReader reader)
    {
        var types = new List<FrameType>();
        ReadResult result = await reader.ReadAsync();
        ReadOnlySequence<byte> buffer = result.Buffer;
        for (int i = 0; i < 100 && FrameReader.TryParse(buffer, 64 * 1024, 8 * 1024, out Frame frame, out SequencePosition consumed); i++)
        {
            types.Add(frame.Type);
            buffer = buffer.Slice(consumed);
        }

        Assert.True(buffer.IsEmpty, "bytes left after the last frame");
        return types;
    }
}
