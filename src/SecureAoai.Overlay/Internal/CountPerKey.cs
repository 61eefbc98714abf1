namespace SecureAoai.Overlay.Internal;

/// <summary>
/// How many of something each key holds, up to a cap per key: connections per source, sessions per
/// identity. A key is forgotten when its count falls to zero, so the table holds only keys in use.
/// </summary>
internal sealed class CountPerKey<TKey>(int maxPerKey, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _counts = new(comparer);
    private readonly Lock _gate = new();

    /// <summary>Counts one more for <paramref name="key"/>; <see langword="false"/>, counting nothing, when it already has the most allowed.</summary>
    public bool TryAdd(TKey key)
    {
        lock (_gate)
        {
            _counts.TryGetValue(key, out var count);
            if (count >= maxPerKey)
            {
                return false;
            }

            _counts[key] = count + 1;
            return true;
        }
    }

    /// <summary>Counts one fewer for <paramref name="key"/>, which <see cref="TryAdd"/> counted.</summary>
    public void Remove(TKey key)
    {
        lock (_gate)
        {
            if (_counts.TryGetValue(key, out var count))
            {
                if (count <= 1)
                {
                    _counts.Remove(key);
                }
                else
                {
                    _counts[key] = count - 1;
                }
            }
        }
    }
}
