using System.Buffers;
using System.Diagnostics;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

public sealed class FrameMutationTests
{
    private const int Inputs = 100_000;
    private const int MaxPayload = 4096;
    private const int MaxMetadata = 512;

    [Fact]
    public void TryParse_HundredThousandMutatedSequences_ParsesOrThrowsProtocolExceptionOnly()
    {
        var random = new Random(20261123);
        var stopwatch = Stopwatch.StartNew();
        int parsedFrames = 0;
        int rejected = 0;

        for (int i = 0; i < Inputs; i++)
        {
            byte[] input = Mutate(ValidSequence(random), random);
            ReadOnlySequence<byte> buffer = i % 4 == 0
                ? Segments.Split(input, random.Next(input.Length + 1), random.Next(input.Length + 1))
                : new ReadOnlySequence<byte>(input);
            try
            {
                for (int frames = 0; frames < 64 && FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out Frame frame, out SequencePosition consumed); frames++)
                {
                    Assert.True(frame.Payload.Length <= MaxPayload);
                    buffer = buffer.Slice(consumed);
                    parsedFrames++;
                }
            }
            catch (OverlayProtocolException)
            {
                rejected++;
            }
        }

        stopwatch.Stop();
        Assert.True(rejected > Inputs / 10, $"only {rejected} inputs rejected; mutations are too weak");
        Assert.True(parsedFrames > Inputs, $"only {parsedFrames} frames parsed; mutations are too strong");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
    }

    private static byte[] ValidSequence(Random random)
    {
        var output = new ArrayBufferWriter<byte>();
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            uint stream = (uint)random.Next(1, 100);
            switch (random.Next(11))
            {
                case 0:
                    FrameWriter.WriteHello(output, HelloLimits.From(new MuxOptions()));
                    break;
                case 1:
                    FrameWriter.Write(output, FrameType.Open, stream, Bytes(random, random.Next(0, 64)));
                    break;
                case 2:
                    FrameWriter.Write(output, FrameType.OpenAck, stream, []);
                    break;
                case 3:
                case 4:
                    FrameWriter.Write(output, FrameType.Data, stream, Bytes(random, random.Next(1, 300)));
                    break;
                case 5:
                    FrameWriter.WriteCredit(output, stream, (uint)random.Next(1, 1 << 20));
                    break;
                case 6:
                    FrameWriter.Write(output, FrameType.Close, stream, []);
                    break;
                case 7:
                    FrameWriter.Write(output, FrameType.Reset, stream, RawPeer.Reason(ReasonCode.Refused, "refused"));
                    break;
                case 8:
                    FrameWriter.WritePing(output, FrameType.Ping, (ulong)random.NextInt64());
                    break;
                case 9:
                    FrameWriter.WritePing(output, FrameType.Pong, (ulong)random.NextInt64());
                    break;
                default:
                    FrameWriter.Write(output, FrameType.GoAway, 0, RawPeer.Reason(ReasonCode.None, "bye"));
                    break;
            }
        }

        return output.WrittenSpan.ToArray();
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations && bytes.Count > 0; m++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return [.. bytes];
    }

    private static byte[] Bytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
