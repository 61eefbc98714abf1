namespace SecureAoai.AspNetCore.Internal;

/// <summary>The overlay listeners Kestrel holds right now; the health check reads them.</summary>
internal sealed class OverlayBindings
{
    private readonly Lock _sync = new();
    private readonly List<OverlayConnectionListener> _listeners = [];

    public void Add(OverlayConnectionListener listener)
    {
        lock (_sync)
        {
            _listeners.Add(listener);
        }
    }

    public void Remove(OverlayConnectionListener listener)
    {
        lock (_sync)
        {
            _listeners.Remove(listener);
        }
    }

    public IReadOnlyList<(string Service, bool IsBound)> Snapshot()
    {
        lock (_sync)
        {
            return [.. _listeners.Select(l => (l.Service, l.IsBound))];
        }
    }
}
