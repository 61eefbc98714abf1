using System.Buffers;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Soak;
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
        int parsedFrames = 0;
        int rejected = 0;

        for (int i = 0; i < Inputs; i++)
        {
            byte[] input = FrameMutator.Mutate(FrameMutator.RandomFrames(random, random.Next(1, 6)), random, random.Next(1, 4));
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

        Assert.True(rejected > Inputs / 10, $"only {rejected} inputs rejected; mutations are too weak");
        Assert.True(parsedFrames > Inputs, $"only {parsedFrames} frames parsed; mutations are too strong");
    }
}
