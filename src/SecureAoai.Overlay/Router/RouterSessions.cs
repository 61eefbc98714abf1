using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router's live sessions, and the end of a revoked identity's: closed at once with a
/// <see cref="ReasonCode.NotAuthorized"/> GoAway, their terminators removed. Revocations reach it by
/// the authority's event (this process) and by a periodic sweep (another process).
/// </summary>
internal sealed class RouterSessions(IRouterAuthority authority, TerminatorTable terminators, ILogger logger)
{
    private readonly ConcurrentDictionary<RouterSession, byte> _sessions = new();

    public int Count => _sessions.Count;

    public IEnumerable<RouterSession> All => _sessions.Keys;

    /// <summary>The sessions of <paramref name="identity"/>.</summary>
    public IEnumerable<RouterSession> Of(string identity) => _sessions.Keys.Where(s => s.Caller.Name == identity);

    public void Add(RouterSession session) => _sessions.TryAdd(session, 0);

    /// <summary>Forgets a session that ended, with its terminators.</summary>
    public void Remove(RouterSession session)
    {
        _sessions.TryRemove(session, out _);
        RemoveTerminatorsOf(session);
    }

    /// <summary>Removes the terminators <paramref name="session"/> registered.</summary>
    public void RemoveTerminatorsOf(RouterSession session)
    {
        foreach (var terminator in terminators.RemoveAllOf(session))
        {
            RouterLog.Unbound(logger, session.Caller.Name, terminator.Service);
        }
    }

    /// <summary>Revocation: the identity's sessions are closed at once, streams and binds with them; its opens in flight fail <see cref="ReasonCode.NotAuthorized"/>.</summary>
    public void CloseSessionsOf(string identity)
    {
        foreach (var session in Of(identity))
        {
            RouterLog.ClosedRevoked(logger, identity);
            RemoveTerminatorsOf(session);
            session.Mux.Refuse(ReasonCode.NotAuthorized, $"not authorized: identity '{identity}' was revoked");
            _ = session.Mux.DisposeAsync().AsTask();
        }
    }

    /// <summary>Closes, every <paramref name="interval"/>, the sessions of identities revoked by another process (the event only reaches this one).</summary>
    public async Task SweepRevocationsAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var name in _sessions.Keys.Select(s => s.Caller.Name).Distinct().Where(authority.IsRevoked).ToArray())
                {
                    CloseSessionsOf(name);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The router is stopping.
        }
    }
}
