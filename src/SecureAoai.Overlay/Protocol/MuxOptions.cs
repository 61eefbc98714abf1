namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// Limits and timers of one multiplexed overlay session. Each side announces its limits in the
/// Hello frame; a side never sends more than the peer announced.
/// </summary>
/// <example>
/// <code>
/// var options = new MuxOptions { InitialStreamWindowBytes = 1024 * 1024, IdleTimeout = TimeSpan.FromSeconds(30) };
/// </code>
/// </example>
public sealed class MuxOptions
{
    /// <summary>Gets the largest payload of one frame this side accepts, in bytes.</summary>
    /// <value>The default value is 64 KiB (65,536). Allowed: 1 KiB to 1 MiB.</value>
    public int MaxFramePayloadBytes { get; init; } = 64 * 1024;

    /// <summary>Gets how many streams may be open at once on the session, counting both directions' opens.</summary>
    /// <value>The default value is 1,024. Allowed: 1 to 65,535.</value>
    public int MaxStreamsPerSession { get; init; } = 1024;

    /// <summary>Gets the largest metadata an Open frame may carry, in bytes.</summary>
    /// <value>The default value is 8 KiB (8,192). Allowed: 0 to <see cref="MaxFramePayloadBytes"/>.</value>
    public int MaxOpenMetadataBytes { get; init; } = 8 * 1024;

    /// <summary>
    /// Gets how many bytes this side buffers per stream before the peer must wait for credit. A slow
    /// reader therefore holds at most this much per stream on either side.
    /// </summary>
    /// <value>The default value is 256 KiB (262,144). Allowed: 1 KiB to 16 MiB.</value>
    public int InitialStreamWindowBytes { get; init; } = 256 * 1024;

    /// <summary>Gets how many incoming opens may wait for the application to accept them; more are reset with reason "busy".</summary>
    /// <value>The default value is 1,024 (as many as the session may have streams, so a burst of opens is queued, not refused). Allowed: 1 to 65,535.</value>
    public int MaxPendingAccepts { get; init; } = 1024;

    /// <summary>
    /// Gets how many bytes of frames the session may hold that the transport has not yet taken (queued,
    /// or written and not yet flushed). A stream write waits while the session is at this limit, so a
    /// peer that stops reading its connection holds back the writers instead of growing memory without bound.
    /// </summary>
    /// <value>The default value is 4 MiB (4,194,304). Allowed: 64 KiB to 1 GiB.</value>
    public int MaxUnflushedSendBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Gets how long the session may go without receiving anything before it sends a Ping.</summary>
    /// <value>The default value is 15 seconds.</value>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets how long the session may go without receiving anything before it is declared dead.</summary>
    /// <value>The default value is 45 seconds. Must be longer than <see cref="KeepAliveInterval"/>.</value>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Throws when a value is outside its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit or timer is out of range.</exception>
    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFramePayloadBytes, FrameLimits.MinFramePayloadBytes, nameof(MaxFramePayloadBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFramePayloadBytes, FrameLimits.HardMaxFramePayloadBytes, nameof(MaxFramePayloadBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStreamsPerSession, 1, nameof(MaxStreamsPerSession));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxStreamsPerSession, FrameLimits.HardMaxStreamsPerSession, nameof(MaxStreamsPerSession));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxOpenMetadataBytes, nameof(MaxOpenMetadataBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxOpenMetadataBytes, MaxFramePayloadBytes, nameof(MaxOpenMetadataBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(InitialStreamWindowBytes, FrameLimits.MinStreamWindowBytes, nameof(InitialStreamWindowBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InitialStreamWindowBytes, FrameLimits.MaxStreamWindowBytes, nameof(InitialStreamWindowBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxUnflushedSendBytes, 64 * 1024, nameof(MaxUnflushedSendBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxUnflushedSendBytes, 1024 * 1024 * 1024, nameof(MaxUnflushedSendBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingAccepts, 1, nameof(MaxPendingAccepts));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxPendingAccepts, FrameLimits.HardMaxStreamsPerSession, nameof(MaxPendingAccepts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(KeepAliveInterval, TimeSpan.Zero, nameof(KeepAliveInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, KeepAliveInterval, nameof(IdleTimeout));
    }
}
