using System.Collections.Concurrent;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The grants (and refusals) an enrolled router got from its controller, by kind, identity certificate
/// and service, so a dial costs a round trip to the controller only now and then, not every time.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>An answer is used without asking again while the controller's state is the version it was given
/// for and, for a grant, while it is younger than half its lifetime (the controller itself reuses a
/// grant that long).</item>
/// <item>A grant in use is fetched again ahead of that, once it is older than
/// <see cref="RefreshAfterFraction"/> of its lifetime, so one in use always has most of its life left.</item>
/// <item>While the controller cannot be reached (within the router's outage tolerance), a dial grant is
/// used until <see cref="DialGrantMargin"/> before it expires, and a bind grant while younger than half
/// its lifetime, so the binder renews it before it expires; a refusal stays a refusal.</item>
/// </list>
/// Ages are measured on the router's clock from when the answer arrived, so skew with the controller does
/// not matter. At most <see cref="MaxEntries"/> answers are kept; the cache starts over when full.
/// </remarks>
internal sealed class RouterGrantCache
{
    /// <summary>The most answers kept.</summary>
    public const int MaxEntries = 16_384;

    /// <summary>A grant in use older than this fraction of its lifetime is fetched again in the background.</summary>
    public const double RefreshAfterFraction = 0.3;

    /// <summary>How long before its expiry a dial grant stops being used while the controller is unreachable: the time it has to reach the binder.</summary>
    public static readonly TimeSpan DialGrantMargin = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly TimeProvider _time;

    public RouterGrantCache(TimeProvider time) => _time = time;

    public int Count => _entries.Count;

    /// <summary>The answer to use without asking the controller: same state version and, for a grant, younger than half its life.</summary>
    public bool TryGetFresh(Key key, string version, out byte[]? grant)
    {
        var now = _time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && entry.Version == version && (entry.Grant is null || now - entry.ReceivedAt < entry.Lifetime / 2))
        {
            entry.Touch(now);
            grant = entry.Grant;
            return true;
        }

        grant = null;
        return false;
    }

    /// <summary>The answer to use while the controller cannot be reached, whatever its version (see the remarks).</summary>
    public bool TryGetDuringOutage(Key key, out byte[]? grant)
    {
        var now = _time.GetUtcNow();
        grant = null;
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        var usableFor = key.Kind == GrantKind.Dial ? entry.Lifetime - DialGrantMargin : entry.Lifetime / 2;
        if (entry.Grant is not null && now - entry.ReceivedAt >= usableFor)
        {
            return false;
        }

        entry.Touch(now);
        grant = entry.Grant;
        return true;
    }

    /// <summary>Keeps the controller's answer, given for state <paramref name="version"/>; a grant's lifetime is read from its claims.</summary>
    public void Put(Key key, byte[]? grant, string version)
    {
        var now = _time.GetUtcNow();
        var lifetime = TimeSpan.Zero;
        if (grant is not null)
        {
            // Unreadable claims: the binder will refuse the grant anyway, so it is passed on but not kept.
            if (OverlayGrant.TrySplit(grant, out _) is not { } parts || OverlayGrant.TryParseClaims(parts.Claims, out _) is not { } claims)
            {
                return;
            }

            lifetime = claims.Lifetime;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        var entry = new Entry(grant, version, now, lifetime);
        entry.Touch(now);
        _entries[key] = entry;
    }

    /// <summary>Drops every answer: the controller's state changed, so none may be used as fresh.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>The grants used within their lifetime that are older than <see cref="RefreshAfterFraction"/> of it: to fetch again now.</summary>
    public IReadOnlyList<Key> DueForRefresh()
    {
        var now = _time.GetUtcNow();
        return [.. _entries.Where(e => e.Value.Grant is not null
            && now - e.Value.ReceivedAt > e.Value.Lifetime * RefreshAfterFraction
            && now - e.Value.LastUsed < e.Value.Lifetime).Select(e => e.Key)];
    }

    /// <summary>What an answer is about: a kind of grant, for one identity certificate, on one service.</summary>
    internal readonly record struct Key(GrantKind Kind, string Thumbprint, string Service);

    private sealed record Entry(byte[]? Grant, string Version, DateTimeOffset ReceivedAt, TimeSpan Lifetime)
    {
        private long _lastUsedTicks;

        /// <summary>When a dial or bind last used it (written by many dials at once, so kept as one atomic number).</summary>
        public DateTimeOffset LastUsed => new(Interlocked.Read(ref _lastUsedTicks), TimeSpan.Zero);

        public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastUsedTicks, now.UtcTicks);
    }
}
