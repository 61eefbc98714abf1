using System.Buffers;
using System.Buffers.Binary;

namespace SecureAoai.Overlay.Protocol;

/// <summary>Writes overlay frames in the format described on <see cref="FrameReader"/>.</summary>
internal static class FrameWriter
{
    /// <summary>Writes one frame (header and payload) to <paramref name="output"/>; flags are always 0 in version 1.</summary>
    /// <remarks>The payload may span the writer's buffers: it never asks for one larger than a header, so a pooled writer of fixed-size blocks never falls back to a larger allocation.</remarks>
    public static void Write(IBufferWriter<byte> output, FrameType type, uint streamId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > FrameLimits.HardMaxFramePayloadBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, $"A frame payload is at most {FrameLimits.HardMaxFramePayloadBytes} bytes.");
        }

        Span<byte> header = output.GetSpan(FrameLimits.HeaderBytes);
        header[0] = FrameLimits.ProtocolVersion;
        header[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], streamId);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)payload.Length);
        output.Advance(FrameLimits.HeaderBytes);
        output.Write(payload);
    }

    /// <summary>Writes a Hello frame announcing this side's limits.</summary>
    public static void WriteHello(IBufferWriter<byte> output, in HelloLimits limits)
    {
        Span<byte> payload = stackalloc byte[FrameLimits.HelloPayloadBytes];
        limits.WriteTo(payload);
        Write(output, FrameType.Hello, 0, payload);
    }

    /// <summary>Writes a Credit frame granting <paramref name="increment"/> more bytes on a stream.</summary>
    public static void WriteCredit(IBufferWriter<byte> output, uint streamId, uint increment)
    {
        Span<byte> payload = stackalloc byte[FrameLimits.CreditPayloadBytes];
        BinaryPrimitives.WriteUInt32BigEndian(payload, increment);
        Write(output, FrameType.Credit, streamId, payload);
    }

    /// <summary>Writes a Ping or Pong frame carrying <paramref name="value"/>.</summary>
    public static void WritePing(IBufferWriter<byte> output, FrameType type, ulong value)
    {
        Span<byte> payload = stackalloc byte[FrameLimits.PingPayloadBytes];
        BinaryPrimitives.WriteUInt64BigEndian(payload, value);
        Write(output, type, 0, payload);
    }
}
