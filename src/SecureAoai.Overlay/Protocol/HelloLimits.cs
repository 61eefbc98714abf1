using System.Buffers;
using System.Buffers.Binary;

namespace SecureAoai.Overlay.Protocol;

/// <summary>The limits a side announces in its Hello frame.</summary>
internal readonly record struct HelloLimits(uint MaxFramePayloadBytes, uint MaxStreamsPerSession, uint InitialStreamWindowBytes, uint MaxOpenMetadataBytes)
{
    public static HelloLimits From(MuxOptions options) => new(
        (uint)options.MaxFramePayloadBytes,
        (uint)options.MaxStreamsPerSession,
        (uint)options.InitialStreamWindowBytes,
        (uint)options.MaxOpenMetadataBytes);

    /// <summary>
    /// Reads and checks the limits of a Hello payload the parser accepted. A stream window above
    /// <see cref="FrameLimits.MaxStreamWindowBytes"/> is clamped to it: a peer that claims to buffer more
    /// would otherwise make this side queue that much per stream for a peer that may never read.
    /// </summary>
    /// <exception cref="OverlayProtocolException">A limit is outside what the protocol allows.</exception>
    public static HelloLimits Read(in ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[FrameLimits.HelloPayloadBytes];
        payload.CopyTo(bytes);
        var limits = new HelloLimits(
            BinaryPrimitives.ReadUInt32BigEndian(bytes),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]));
        if (limits.MaxFramePayloadBytes is < FrameLimits.MinFramePayloadBytes or > FrameLimits.HardMaxFramePayloadBytes
            || limits.MaxStreamsPerSession is 0 or > FrameLimits.HardMaxStreamsPerSession
            || limits.InitialStreamWindowBytes is 0
            || limits.MaxOpenMetadataBytes > limits.MaxFramePayloadBytes)
        {
            throw new OverlayProtocolException($"The peer announced limits outside the protocol's range: {limits}.");
        }

        return limits with { InitialStreamWindowBytes = Math.Min(limits.InitialStreamWindowBytes, (uint)FrameLimits.MaxStreamWindowBytes) };
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, MaxFramePayloadBytes);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], MaxStreamsPerSession);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], InitialStreamWindowBytes);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], MaxOpenMetadataBytes);
    }
}
