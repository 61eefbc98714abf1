using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>Settings of the router.</summary>
public sealed class OverlayRouterOptions
{
    /// <summary>How a dial picks a binder. The default value is <see cref="TerminatorStrategy.Smart"/>.</summary>
    public TerminatorStrategy Strategy { get; set; } = TerminatorStrategy.Smart;

    /// <summary>How long a connecting party has to finish the TLS handshake. The default value is 10 seconds.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the router checks its connected identities for revocations made elsewhere (such
    /// as <c>secureaoai overlay identity revoke</c> in another process). The default value is 5 seconds.
    /// </summary>
    public TimeSpan RevocationSweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most connections (sessions) the router serves at once; more are closed at once. The default value is 4096.</summary>
    public int MaxSessions { get; set; } = 4096;

    /// <summary>Frame and stream limits of every session. The default value is <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions Mux { get; set; } = new();
}
