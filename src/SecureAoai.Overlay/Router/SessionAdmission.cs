using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router's connection slots beyond <see cref="OverlayRouterOptions.MaxSessions"/>: how many
/// connections may be in the TLS handshake at once, and how many sessions one identity may hold, so
/// neither unauthenticated peers nor one enrolled identity can take every slot.
/// </summary>
internal sealed class SessionAdmission(OverlayRouterOptions options)
{
    private readonly CountPerKey<string> _sessionsPerIdentity = new(options.MaxSessionsPerIdentity, StringComparer.Ordinal);
    private int _handshakes;

    /// <summary>Takes a handshake slot; <see langword="false"/> when <see cref="OverlayRouterOptions.MaxConcurrentHandshakes"/> are in progress.</summary>
    public bool TryStartHandshake()
    {
        if (Interlocked.Increment(ref _handshakes) <= options.MaxConcurrentHandshakes)
        {
            return true;
        }

        Interlocked.Decrement(ref _handshakes);
        return false;
    }

    /// <summary>Gives back a slot <see cref="TryStartHandshake"/> took.</summary>
    public void EndHandshake() => Interlocked.Decrement(ref _handshakes);

    /// <summary>Counts a session of <paramref name="identity"/>; <see langword="false"/> when it already holds <see cref="OverlayRouterOptions.MaxSessionsPerIdentity"/>.</summary>
    public bool TryAddSession(string identity) => _sessionsPerIdentity.TryAdd(identity);

    /// <summary>Gives back a session <see cref="TryAddSession"/> counted.</summary>
    public void RemoveSession(string identity) => _sessionsPerIdentity.Remove(identity);
}
