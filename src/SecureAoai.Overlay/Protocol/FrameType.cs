namespace SecureAoai.Overlay.Protocol;

/// <summary>The type byte of an overlay frame. Values are part of the wire format and never change.</summary>
internal enum FrameType : byte
{
    /// <summary>Version and limits, the first frame each side sends. Stream id 0, 16-byte payload.</summary>
    Hello = 1,

    /// <summary>Opens a stream. Payload: opaque caller metadata, at most the peer's MaxOpenMetadataBytes.</summary>
    Open = 2,

    /// <summary>The acceptor took the stream. Empty payload.</summary>
    OpenAck = 3,

    /// <summary>Stream data, 1 byte to MaxFramePayloadBytes, counted against the receiver's window.</summary>
    Data = 4,

    /// <summary>Window increment for a stream. Payload: 4-byte big-endian increment, never 0.</summary>
    Credit = 5,

    /// <summary>Half-close: the sender sends no more data on this stream. Empty payload.</summary>
    Close = 6,

    /// <summary>The stream is dead both ways. Payload: UTF-8 reason, at most 1 KiB.</summary>
    Reset = 7,

    /// <summary>Liveness probe. Stream id 0, 8-byte payload the peer echoes.</summary>
    Ping = 8,

    /// <summary>Answer to <see cref="Ping"/>. Stream id 0, the ping's 8-byte payload.</summary>
    Pong = 9,

    /// <summary>The session is closing. Stream id 0, payload: UTF-8 reason, at most 1 KiB.</summary>
    GoAway = 10,
}
