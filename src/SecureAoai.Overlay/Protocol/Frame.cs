using System.Buffers;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// One parsed frame. <see cref="Payload"/> points into the reader's buffer and is valid only until the
/// reader advances past it.
/// </summary>
internal readonly struct Frame(FrameType type, uint streamId, ReadOnlySequence<byte> payload)
{
    public FrameType Type { get; } = type;

    public uint StreamId { get; } = streamId;

    public ReadOnlySequence<byte> Payload { get; } = payload;
}
