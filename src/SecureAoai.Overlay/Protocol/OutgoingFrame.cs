namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// A frame waiting in the session's send queue. <see cref="Buffer"/>, when set, is rented from the
/// shared array pool and returned by the writer loop once written.
/// </summary>
internal readonly record struct OutgoingFrame(FrameType Type, uint StreamId, byte[]? Buffer, int Length, ulong Value, bool FromReadLoop);
