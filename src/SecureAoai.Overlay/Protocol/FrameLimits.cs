namespace SecureAoai.Overlay.Protocol;

/// <summary>Fixed sizes and hard maxima of the frame format; configurable limits live in <see cref="MuxOptions"/>.</summary>
internal static class FrameLimits
{
    /// <summary>The protocol version this build speaks.</summary>
    public const byte ProtocolVersion = 1;

    /// <summary>Size of the fixed frame header.</summary>
    public const int HeaderBytes = 12;

    /// <summary>No option may raise the frame payload above this.</summary>
    public const int HardMaxFramePayloadBytes = 1024 * 1024;

    /// <summary>No option may raise the number of concurrent streams above this.</summary>
    public const int HardMaxStreamsPerSession = 65535;

    /// <summary>Smallest stream window (InitialStreamWindowBytes) an option may set.</summary>
    public const int MinStreamWindowBytes = 1024;

    /// <summary>
    /// Largest stream window: no option may set more, a larger window a peer announces is clamped to
    /// it, and a peer's credit never lets a side have more than it outstanding on one stream.
    /// </summary>
    public const int MaxStreamWindowBytes = 16 * 1024 * 1024;

    /// <summary>The reason code (big-endian uint16, see <see cref="ReasonCode"/>) that starts every Reset and GoAway payload.</summary>
    public const int ReasonCodeBytes = 2;

    /// <summary>Largest Reset or GoAway reason words, in UTF-8 bytes, after the reason code.</summary>
    public const int MaxReasonBytes = 1024;

    /// <summary>Hello payload: four big-endian uint32 limits.</summary>
    public const int HelloPayloadBytes = 16;

    /// <summary>Credit payload: one big-endian uint32 increment.</summary>
    public const int CreditPayloadBytes = 4;

    /// <summary>Ping and Pong payload.</summary>
    public const int PingPayloadBytes = 8;

    /// <summary>Smallest MaxFramePayloadBytes a peer may announce, so a frame can always carry a reason or metadata.</summary>
    public const int MinFramePayloadBytes = 1024;
}
