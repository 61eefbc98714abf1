namespace SecureAoai.AspNetCore.Internal;

/// <summary>The overlay services bound for Kestrel right now; the health check reads them.</summary>
internal sealed class OverlayBindings
{
    private readonly Lock _sync = new();
    private readonly List<OverlayServiceBinding> _listeners = [];

    public void Add(OverlayServiceBinding listener)
    {
        lock (_sync)
        {
            _listeners.Add(listener);
        }
    }

    public void Remove(OverlayServiceBinding listener)
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
