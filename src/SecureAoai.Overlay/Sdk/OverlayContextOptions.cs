using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>Settings of an <see cref="OverlayContext"/>.</summary>
public sealed class OverlayContextOptions
{
    /// <summary>
    /// The router to connect to, as <c>HOST:PORT</c>. The default value is <see langword="null"/>:
    /// the router the controller names when the context first connects.
    /// </summary>
    public string? RouterAddress { get; set; }

    /// <summary>How long connecting to the router (TCP and TLS) may take. The default value is 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before reconnecting after the router was lost; it doubles up to <see cref="ReconnectMaxDelay"/>. The default value is 100 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnect attempts. The default value is 10 seconds.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many dials a listener holds for <see cref="OverlayListener.AcceptAsync"/> before refusing more as busy. The default value is 1,024.</summary>
    public int MaxPendingAccepts { get; set; } = 1024;

    /// <summary>Frame and stream limits of the session with the router. The default value is <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions Mux { get; set; } = new();

    /// <summary>The clock grants are checked and renewed by; tests set a fake one. The default value is <see cref="TimeProvider.System"/>.</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
