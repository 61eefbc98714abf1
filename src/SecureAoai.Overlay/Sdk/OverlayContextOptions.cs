using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>Settings of an <see cref="OverlayContext"/>.</summary>
public sealed class OverlayContextOptions
{
    /// <summary>
    /// The one router to use, as <c>HOST:PORT</c>. The default value is <see langword="null"/>: every
    /// router the controller names for this identity when the context first connects.
    /// </summary>
    public string? RouterAddress { get; set; }

    /// <summary>
    /// On how many of the routers a bind is registered, at most (the first ones in the controller's
    /// order). The default value is <see langword="null"/>: on every router this identity may use, so a
    /// dialer reaches the service through any of them and losing one router loses no binder.
    /// </summary>
    public int? MaxBindRouters { get; set; }

    /// <summary>How long connecting to the router (TCP and TLS) may take. The default value is 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before reconnecting after a router was lost; it doubles up to <see cref="ReconnectMaxDelay"/>. The default value is 100 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The longest wait between reconnect attempts to a lost router. Each wait is shortened at random by
    /// up to a quarter, so that many identities do not reconnect in step. The default value is 1 second:
    /// a returning router has every bind back within about that, plus a connect and a bind, however long
    /// it was away.
    /// </summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many dials a listener holds for <see cref="OverlayListener.AcceptAsync"/> before refusing more as busy. The default value is 1,024.</summary>
    public int MaxPendingAccepts { get; set; } = 1024;

    /// <summary>Frame and stream limits of the session with the router. The default value is <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions Mux { get; set; } = new();

    /// <summary>The clock grants are checked and renewed by; tests set a fake one. The default value is <see cref="TimeProvider.System"/>.</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the settings, when a context is created.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of its range.</exception>
    internal void Validate()
    {
        if (MaxBindRouters is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBindRouters), MaxBindRouters, "OverlayContextOptions.MaxBindRouters must be at least 1, or null for every router.");
        }

        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectMaxDelay), ReconnectMaxDelay, $"OverlayContextOptions.ReconnectMinDelay ({ReconnectMinDelay}) must be positive and ReconnectMaxDelay at least as long.");
        }
    }
}
