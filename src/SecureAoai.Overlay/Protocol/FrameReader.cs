using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// Parses overlay frames. Synchronous and free of I/O: the session's read loop feeds it what the
/// transport delivered and advances by what it consumed.
/// </summary>
/// <remarks>
/// <para>Wire format, version 1. Every frame is a fixed 12-byte header followed by the payload;
/// multi-byte integers are big-endian.</para>
/// <code>
/// offset size field
///      0    1 version        1; anything else is rejected
///      1    1 type           1 Hello, 2 Open, 3 OpenAck, 4 Data, 5 Credit, 6 Close, 7 Reset, 8 Ping, 9 Pong, 10 GoAway
///      2    2 flags          reserved, must be 0
///      4    4 stream id      0 for Hello/Ping/Pong/GoAway, non-zero for all others
///      8    4 payload length at most the receiver's MaxFramePayloadBytes (hard maximum 1 MiB)
///     12    n payload
/// </code>
/// <para>Payload rules: Hello exactly 16 bytes (uint32 max frame payload, max streams, initial stream
/// window, max open metadata); Open at most MaxOpenMetadataBytes of opaque metadata; OpenAck and Close
/// empty; Data 1 byte or more; Credit exactly 4 bytes, a non-zero window increment; Reset and GoAway a
/// uint16 reason code (<see cref="ReasonCode"/>) followed by a valid UTF-8 reason of at most 1 KiB;
/// Ping and Pong exactly 8 bytes. Stream ids opened by the session
/// initiator are odd, by the other side even.</para>
/// <para>Any violation throws <see cref="OverlayProtocolException"/>; an over-long length is rejected
/// from the header alone, before its payload is buffered.</para>
/// </remarks>
internal static class FrameReader
{
    /// <summary>
    /// Parses one frame from the start of <paramref name="buffer"/>.
    /// </summary>
    /// <returns><see langword="true"/> with <paramref name="consumed"/> set past the frame; <see langword="false"/> when more bytes are needed.</returns>
    /// <exception cref="OverlayProtocolException">The bytes are not a valid frame.</exception>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, int maxPayloadBytes, int maxOpenMetadataBytes, out Frame frame, out SequencePosition consumed)
    {
        frame = default;
        consumed = buffer.Start;
        if (buffer.Length < FrameLimits.HeaderBytes)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[FrameLimits.HeaderBytes];
        buffer.Slice(0, FrameLimits.HeaderBytes).CopyTo(header);

        byte version = header[0];
        if (version != FrameLimits.ProtocolVersion)
        {
            throw new OverlayProtocolException($"The peer speaks overlay protocol version {version}; this side speaks version {FrameLimits.ProtocolVersion}.");
        }

        var type = (FrameType)header[1];
        if (type is < FrameType.Hello or > FrameType.GoAway)
        {
            throw new OverlayProtocolException($"Unknown frame type {header[1]}.");
        }

        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        if (flags != 0)
        {
            throw new OverlayProtocolException($"Reserved flags 0x{flags:X4} set on a {type} frame.");
        }

        uint streamId = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        ValidateHeader(type, streamId, length, maxPayloadBytes, maxOpenMetadataBytes);

        if (buffer.Length - FrameLimits.HeaderBytes < length)
        {
            return false;
        }

        ReadOnlySequence<byte> payload = buffer.Slice(FrameLimits.HeaderBytes, length);
        ValidatePayload(type, payload);
        frame = new Frame(type, streamId, payload);
        consumed = payload.End;
        return true;
    }

    /// <summary>Reads the increment of a Credit frame the parser accepted.</summary>
    public static uint ReadCredit(in ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[FrameLimits.CreditPayloadBytes];
        payload.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>Reads the 8-byte value of a Ping or Pong frame the parser accepted.</summary>
    public static ulong ReadPing(in ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[FrameLimits.PingPayloadBytes];
        payload.CopyTo(bytes);
        return BinaryPrimitives.ReadUInt64BigEndian(bytes);
    }

    /// <summary>Decodes the reason code and words of a Reset or GoAway frame the parser accepted; a code this build does not know reads as <see cref="ReasonCode.Refused"/>.</summary>
    public static (ReasonCode Code, string Words) ReadReason(in ReadOnlySequence<byte> payload)
    {
        Span<byte> code = stackalloc byte[FrameLimits.ReasonCodeBytes];
        payload.Slice(0, FrameLimits.ReasonCodeBytes).CopyTo(code);
        var value = (ReasonCode)BinaryPrimitives.ReadUInt16BigEndian(code);
        string words = System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, payload.Slice(FrameLimits.ReasonCodeBytes));
        return (Enum.IsDefined(value) ? value : ReasonCode.Refused, words);
    }

    private static void ValidateHeader(FrameType type, uint streamId, uint length, int maxPayloadBytes, int maxOpenMetadataBytes)
    {
        bool sessionLevel = type is FrameType.Hello or FrameType.Ping or FrameType.Pong or FrameType.GoAway;
        if (sessionLevel && streamId != 0)
        {
            throw new OverlayProtocolException($"A {type} frame must use stream id 0, not {streamId}.");
        }

        if (!sessionLevel && streamId == 0)
        {
            throw new OverlayProtocolException($"A {type} frame needs a stream id; 0 is reserved for the session.");
        }

        if (length > (uint)maxPayloadBytes)
        {
            throw new OverlayProtocolException($"A {type} frame announces {length} payload bytes; the limit is {maxPayloadBytes}.");
        }

        bool valid = type switch
        {
            FrameType.Hello => length == FrameLimits.HelloPayloadBytes,
            FrameType.Open => length <= (uint)maxOpenMetadataBytes,
            FrameType.OpenAck or FrameType.Close => length == 0,
            FrameType.Data => length > 0,
            FrameType.Credit => length == FrameLimits.CreditPayloadBytes,
            FrameType.Reset or FrameType.GoAway => length is >= FrameLimits.ReasonCodeBytes and <= FrameLimits.ReasonCodeBytes + FrameLimits.MaxReasonBytes,
            _ => length == FrameLimits.PingPayloadBytes,
        };
        if (!valid)
        {
            throw new OverlayProtocolException($"A {type} frame cannot carry {length} payload bytes.");
        }
    }

    private static void ValidatePayload(FrameType type, in ReadOnlySequence<byte> payload)
    {
        if (type == FrameType.Credit && ReadCredit(payload) == 0)
        {
            throw new OverlayProtocolException("A Credit frame must grant at least one byte.");
        }

        if (type is FrameType.Reset or FrameType.GoAway)
        {
            Span<byte> reason = stackalloc byte[FrameLimits.MaxReasonBytes];
            ReadOnlySequence<byte> words = payload.Slice(FrameLimits.ReasonCodeBytes);
            words.CopyTo(reason);
            if (!Utf8.IsValid(reason[..(int)words.Length]))
            {
                throw new OverlayProtocolException($"The reason of a {type} frame is not valid UTF-8.");
            }
        }
    }
}
