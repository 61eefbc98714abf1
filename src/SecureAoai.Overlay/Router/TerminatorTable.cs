using System.Collections.Concurrent;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The live terminators (binds) of every service, and the choice of one for a dial by the router's
/// <see cref="TerminatorStrategy"/>. A terminator leaves only when its binder unbinds or its session
/// ends, never because a dial failed.
/// </summary>
internal sealed class TerminatorTable(TerminatorStrategy strategy)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Terminator, byte>> _services = new(StringComparer.Ordinal);

    /// <summary>Live terminators of <paramref name="service"/>.</summary>
    public int Count(string service) => _services.TryGetValue(service, out var set) ? set.Count : 0;

    /// <summary>The dials each live binder of <paramref name="service"/> counts (pending opens included), by binder identity.</summary>
    public IReadOnlyList<(string Binder, int ActiveDials)> Loads(string service) =>
        _services.TryGetValue(service, out var set) ? [.. set.Keys.Select(t => (t.Owner.Caller.Name, Volatile.Read(ref t.ActiveDials)))] : [];

    public void Add(Terminator terminator) => _services.GetOrAdd(terminator.Service, static _ => new()).TryAdd(terminator, 0);

    /// <summary>Removes <paramref name="terminator"/>; <see langword="false"/> when it was already gone.</summary>
    public bool Remove(Terminator terminator) => _services.TryGetValue(terminator.Service, out var set) && set.TryRemove(terminator, out _);

    /// <summary>Removes every terminator <paramref name="session"/> registered; returns them.</summary>
    public IReadOnlyList<Terminator> RemoveAllOf(RouterSession session)
    {
        var removed = new List<Terminator>();
        foreach (var set in _services.Values)
        {
            foreach (var terminator in set.Keys.Where(t => t.Owner == session))
            {
                if (set.TryRemove(terminator, out _))
                {
                    removed.Add(terminator);
                }
            }
        }

        return removed;
    }

    /// <summary>A live terminator of <paramref name="service"/> other than those in <paramref name="exclude"/>, by the strategy; <see langword="null"/> when none is left.</summary>
    public Terminator? Choose(string service, IReadOnlyCollection<Terminator> exclude)
    {
        if (!_services.TryGetValue(service, out var set))
        {
            return null;
        }

        var live = set.Keys.Where(t => !t.Owner.Mux.IsClosed && !exclude.Contains(t)).ToArray();
        if (live.Length == 0)
        {
            return null;
        }

        switch (strategy)
        {
            case TerminatorStrategy.Random:
                return live[Random.Shared.Next(live.Length)];
            case TerminatorStrategy.Weighted:
                var ticket = Random.Shared.Next(live.Sum(t => t.Weight));
                foreach (var terminator in live)
                {
                    ticket -= terminator.Weight;
                    if (ticket < 0)
                    {
                        return terminator;
                    }
                }

                return live[^1];
            default:
                // One reading of each count: they change under concurrent dials, and two readings
                // could leave no terminator matching the minimum.
                var loads = live.Select(t => (Terminator: t, Dials: Volatile.Read(ref t.ActiveDials))).ToArray();
                var fewest = loads.Min(l => l.Dials);
                var candidates = loads.Where(l => l.Dials == fewest).ToArray();
                return candidates[Random.Shared.Next(candidates.Length)].Terminator;
        }
    }
}
