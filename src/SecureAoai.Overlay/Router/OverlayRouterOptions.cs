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

    /// <summary>
    /// The most sessions one identity may hold at once; a session past it is closed with a GoAway that
    /// says so, and that identity's dials fail with <see cref="OverlayDialFailure.Busy"/>. Several
    /// processes may share one identity (replicas of one app), so keep room for them. The default value is 64.
    /// </summary>
    public int MaxSessionsPerIdentity { get; set; } = 64;

    /// <summary>
    /// The most connections in the TLS handshake at once; a connection past it is closed at once,
    /// before any TLS work. It bounds what unauthenticated peers can make the router spend. The default value is 256.
    /// </summary>
    public int MaxConcurrentHandshakes { get; set; } = 256;

    /// <summary>
    /// How long the router waits for a binder to take a dial (answer the Open it forwards). A binder
    /// that does not answer in time counts as busy: the router tries the next binder, else the dial
    /// fails with <see cref="OverlayDialFailure.Busy"/>. It includes the time a binder keeps a dial
    /// queued for a handshake slot, so a burst of dials to one binder needs room. The default value is 15 seconds.
    /// </summary>
    public TimeSpan BinderOpenTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Frame and stream limits of every session. The default value is <see cref="MuxOptions"/>' defaults.</summary>
    public MuxOptions Mux { get; set; } = new();

    /// <summary>Throws when a setting is outside its allowed range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit or timer is out of range.</exception>
    /// <exception cref="ArgumentNullException"><see cref="Mux"/> is <see langword="null"/>.</exception>
    internal void Validate()
    {
        if (!Enum.IsDefined(Strategy))
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Not a TerminatorStrategy.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RevocationSweepInterval, TimeSpan.Zero, nameof(RevocationSweepInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSessions, 1, nameof(MaxSessions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSessionsPerIdentity, 1, nameof(MaxSessionsPerIdentity));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSessionsPerIdentity, MaxSessions, nameof(MaxSessionsPerIdentity));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentHandshakes, 1, nameof(MaxConcurrentHandshakes));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BinderOpenTimeout, TimeSpan.Zero, nameof(BinderOpenTimeout));
        ArgumentNullException.ThrowIfNull(Mux, nameof(Mux));
        Mux.Validate();
    }
}
