using System.Buffers;
using System.Buffers.Binary;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

public sealed class FrameReaderTests
{
    private const int MaxPayload = 64 * 1024;
    private const int MaxMetadata = 8 * 1024;

    public static TheoryData<byte, uint, byte[]> ValidFrames()
    {
        byte[] hello = new byte[16];
        HelloLimits.From(new MuxOptions()).WriteTo(hello);
        return new()
        {
            { (byte)FrameType.Hello, 0, hello },
            { (byte)FrameType.Open, 1, "svc:chatapp"u8.ToArray() },
            { (byte)FrameType.Open, 3, [] },
            { (byte)FrameType.OpenAck, 2, [] },
            { (byte)FrameType.Data, 5, new byte[MaxPayload] },
            { (byte)FrameType.Credit, 7, [0, 0, 0x10, 0] },
            { (byte)FrameType.Close, 9, [] },
            { (byte)FrameType.Reset, 11, RawPeer.Reason(ReasonCode.Busy, "busy ✓") },
            { (byte)FrameType.Reset, 13, RawPeer.Reason(ReasonCode.None, "") },
            { (byte)FrameType.Ping, 0, [1, 2, 3, 4, 5, 6, 7, 8] },
            { (byte)FrameType.Pong, 0, [8, 7, 6, 5, 4, 3, 2, 1] },
            { (byte)FrameType.GoAway, 0, RawPeer.Reason(ReasonCode.None, "shutting down") },
        };
    }

    public static TheoryData<string, byte[]> MalformedFrames() => new()
    {
        { "version 0", Header(0, FrameType.Data, 0, 1, 1) },
        { "version 2", Header(2, FrameType.Data, 0, 1, 1) },
        { "type 0", Header(1, 0, 0, 1, 0) },
        { "type 11", Header(1, (FrameType)11, 0, 1, 0) },
        { "reserved flags", Header(1, FrameType.Data, 0x0100, 1, 1) },
        { "data on stream 0", Header(1, FrameType.Data, 0, 0, 1) },
        { "ping on a stream", Header(1, FrameType.Ping, 0, 3, 8) },
        { "length over limit", Header(1, FrameType.Data, 0, 1, MaxPayload + 1) },
        { "length near 4 GiB", Header(1, FrameType.Data, 0, 1, uint.MaxValue) },
        { "empty data", Header(1, FrameType.Data, 0, 1, 0) },
        { "credit of 3 bytes", [.. Header(1, FrameType.Credit, 0, 1, 3), 0, 0, 1] },
        { "credit of 0", [.. Header(1, FrameType.Credit, 0, 1, 4), 0, 0, 0, 0] },
        { "ping of 7 bytes", [.. Header(1, FrameType.Ping, 0, 0, 7), 1, 2, 3, 4, 5, 6, 7] },
        { "pong of 9 bytes", [.. Header(1, FrameType.Pong, 0, 0, 9), 1, 2, 3, 4, 5, 6, 7, 8, 9] },
        { "hello of 15 bytes", [.. Header(1, FrameType.Hello, 0, 0, 15), .. new byte[15]] },
        { "open ack with payload", [.. Header(1, FrameType.OpenAck, 0, 1, 1), 0] },
        { "close with payload", [.. Header(1, FrameType.Close, 0, 1, 1), 0] },
        { "open metadata over limit", [.. Header(1, FrameType.Open, 0, 1, MaxMetadata + 1), .. new byte[MaxMetadata + 1]] },
        { "reset reason over 1 KiB", [.. Header(1, FrameType.Reset, 0, 1, 2 + 1025), .. new byte[2 + 1025]] },
        { "reset reason not UTF-8", [.. Header(1, FrameType.Reset, 0, 1, 4), 0, 1, 0xC3, 0x28] },
        { "reset without its reason code", [.. Header(1, FrameType.Reset, 0, 1, 1), 0] },
        { "goaway without its reason code", Header(1, FrameType.GoAway, 0, 0, 0) },
        { "goaway on a stream", Header(1, FrameType.GoAway, 0, 1, 0) },
    };

    [Theory]
    [MemberData(nameof(ValidFrames))]
    public void TryParse_WrittenFrame_RoundTrips(byte typeByte, uint streamId, byte[] payload)
    {
        var type = (FrameType)typeByte;
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, type, streamId, payload);

        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out Frame frame, out SequencePosition consumed));

        Assert.Equal(type, frame.Type);
        Assert.Equal(streamId, frame.StreamId);
        Assert.Equal(payload, frame.Payload.ToArray());
        Assert.Equal(buffer.End, consumed);
    }

    [Fact]
    public void TryParse_FrameSplitAcrossSegments_RoundTrips()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteCredit(output, 7, 4096);
        byte[] bytes = output.WrittenSpan.ToArray();

        ReadOnlySequence<byte> buffer = Segments.Split(bytes, 5, 13);

        Assert.True(FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out Frame frame, out _));
        Assert.Equal(4096u, FrameReader.ReadCredit(frame.Payload));
    }

    [Fact]
    public void TryParse_PartialFrame_AsksForMore()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(output, FrameType.Data, 1, [1, 2, 3]);

        for (int length = 0; length < output.WrittenCount; length++)
        {
            var buffer = new ReadOnlySequence<byte>(output.WrittenMemory[..length]);
            Assert.False(FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out _, out SequencePosition consumed));
            Assert.Equal(buffer.Start, consumed);
        }
    }

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public void TryParse_MalformedFrame_ThrowsProtocolException(string because, byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.True(Assert.Throws<OverlayProtocolException>(() => FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out _, out _)) is not null, because);
    }

    [Fact]
    public void TryParse_OversizedLength_RejectedFromHeaderBeforePayloadArrives()
    {
        var buffer = new ReadOnlySequence<byte>(Header(1, FrameType.Data, 0, 1, MaxPayload + 1));

        Assert.Throws<OverlayProtocolException>(() => FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out _, out _));
    }

    [Fact]
    public void TryParse_VersionMismatch_MessageNamesBothVersions()
    {
        var buffer = new ReadOnlySequence<byte>(Header(2, FrameType.Hello, 0, 0, 16));

        var error = Assert.Throws<OverlayProtocolException>(() => FrameReader.TryParse(buffer, MaxPayload, MaxMetadata, out _, out _));

        Assert.Contains("version 2", error.Message);
        Assert.Contains("version 1", error.Message);
    }

    [Fact]
    public void ReadReason_CodeThisBuildDoesNotKnow_ReadsAsRefusedWithItsWords()
    {
        var payload = new ReadOnlySequence<byte>([0x12, 0x34, .. "from a newer peer"u8]);

        var (code, words) = FrameReader.ReadReason(payload);

        Assert.Equal(ReasonCode.Refused, code);
        Assert.Equal("from a newer peer", words);
    }

    [Fact]
    public void Read_HelloAnnouncingWindowOverTheMaximum_ClampedToTheMaximum()
    {
        byte[] payload = new byte[16];
        new HelloLimits(64 * 1024, 1024, uint.MaxValue, 1024).WriteTo(payload);

        Assert.Equal((uint)FrameLimits.MaxStreamWindowBytes, HelloLimits.Read(new ReadOnlySequence<byte>(payload)).InitialStreamWindowBytes);
    }

    [Fact]
    public void Read_HelloWithLimitsOutOfRange_ThrowsProtocolException()
    {
        byte[] payload = new byte[16];
        new HelloLimits(512, 10, 1024, 0).WriteTo(payload);

        Assert.Throws<OverlayProtocolException>(() => HelloLimits.Read(new ReadOnlySequence<byte>(payload)));
    }

    internal static byte[] Header(byte version, FrameType type, ushort flags, uint streamId, uint length)
    {
        byte[] header = new byte[12];
        header[0] = version;
        header[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), streamId);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), length);
        return header;
    }
}
