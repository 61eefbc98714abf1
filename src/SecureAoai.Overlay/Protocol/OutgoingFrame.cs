using System.Buffers;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// A frame waiting in the session's send queue. Its payload, when it has one, is in <see cref="Block"/>
/// (a <see cref="BlockPool"/> block, for payloads that fit one) or else in <see cref="Buffer"/> (rented
/// from the shared array pool); the writer loop gives either back once written, with <see cref="Release"/>.
/// </summary>
internal readonly record struct OutgoingFrame(FrameType Type, uint StreamId, byte[]? Buffer, int Length, ulong Value, bool FromReadLoop, PooledBlock? Block = null)
{
    /// <summary>Gets the payload bytes.</summary>
    public ReadOnlySpan<byte> Payload => (Block?.Array ?? Buffer).AsSpan(0, Length);

    /// <summary>Gives the payload's memory back to its pool; call once, when the frame is written or dropped.</summary>
    public void Release()
    {
        if (Block is not null)
        {
            Block.Dispose();
        }
        else if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
