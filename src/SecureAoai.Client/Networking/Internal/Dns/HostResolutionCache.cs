using System.Collections.Concurrent;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// Positive answers by host name (case-insensitive) until their TTL runs out; a hit reports the TTL that remains.
/// Holds at most <see cref="DnsLimits.MaxCacheEntries"/> names: when full, expired entries are dropped, and if none
/// expired the new answer is simply not cached.
/// </summary>
internal sealed class HostResolutionCache(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, (HostResolution Resolution, DateTimeOffset Expires)> _entries =
        new(StringComparer.OrdinalIgnoreCase);

    public int Count => _entries.Count;

    public bool TryGet(string name, out HostResolution resolution)
    {
        if (_entries.TryGetValue(name, out var entry))
        {
            var remaining = entry.Expires - timeProvider.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                resolution = entry.Resolution with { TimeToLive = remaining };
                return true;
            }

            _entries.TryRemove(new KeyValuePair<string, (HostResolution, DateTimeOffset)>(name, entry));
        }

        resolution = null!;
        return false;
    }

    /// <summary>Caches <paramref name="resolution"/> for its <see cref="HostResolution.TimeToLive"/>; a zero TTL is not cached.</summary>
    public void Add(string name, HostResolution resolution)
    {
        if (resolution.TimeToLive <= TimeSpan.Zero)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (_entries.Count >= DnsLimits.MaxCacheEntries && !_entries.ContainsKey(name))
        {
            foreach (var expired in _entries.Where(e => e.Value.Expires <= now))
            {
                _entries.TryRemove(expired);
            }

            if (_entries.Count >= DnsLimits.MaxCacheEntries)
            {
                return;
            }
        }

        _entries[name] = (resolution, now + resolution.TimeToLive);
    }
}
