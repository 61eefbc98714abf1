using System.Buffers;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Tests.Soak;

/// <summary>
/// Sequences of frames of every type, and byte-level mutations of them: what a broken or hostile
/// peer might send. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal static class FrameMutator
{
    /// <summary>
    /// <paramref name="count"/> well-formed frames. With <paramref name="dialMetadata"/>, Opens carry it on
    /// increasing odd stream ids (what an initiator may open) and stream frames aim at those; without it,
    /// stream ids are random below 100.
    /// </summary>
    public static byte[] RandomFrames(Random random, int count, byte[]? dialMetadata = null)
    {
        var output = new ArrayBufferWriter<byte>();
        uint lastOpened = 0;
        for (int i = 0; i < count; i++)
        {
            uint stream = dialMetadata is null || lastOpened == 0 ? (uint)random.Next(1, 100) : (uint)(2 * random.Next((int)(lastOpened / 2) + 1)) + 1;
            switch (random.Next(11))
            {
                case 0:
                    FrameWriter.WriteHello(output, HelloLimits.From(new MuxOptions()));
                    break;
                case 1:
                    if (dialMetadata is null)
                    {
                        FrameWriter.Write(output, FrameType.Open, stream, Bytes(random, random.Next(0, 64)));
                    }
                    else
                    {
                        lastOpened = lastOpened == 0 ? 1 : lastOpened + 2;
                        FrameWriter.Write(output, FrameType.Open, lastOpened, dialMetadata);
                    }

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
                    FrameWriter.Write(output, FrameType.Reset, stream, [0, (byte)random.Next(6), .. "refused"u8]);
                    break;
                case 8:
                    FrameWriter.WritePing(output, FrameType.Ping, (ulong)random.NextInt64());
                    break;
                case 9:
                    FrameWriter.WritePing(output, FrameType.Pong, (ulong)random.NextInt64());
                    break;
                default:
                    FrameWriter.Write(output, FrameType.GoAway, 0, [0, 0, .. "bye"u8]);
                    break;
            }
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Applies <paramref name="mutations"/> random edits: a flipped bit, a random byte, an inserted or removed byte, a truncation.</summary>
    public static byte[] Mutate(byte[] input, Random random, int mutations)
    {
        var bytes = new List<byte>(input);
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
