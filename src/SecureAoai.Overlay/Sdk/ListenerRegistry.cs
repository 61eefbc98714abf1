using System.Collections.Concurrent;

namespace SecureAoai.Overlay;

/// <summary>
/// The listeners an <see cref="OverlayContext"/> holds bound: where a router link delivers each dial
/// (by service) and what it binds again after it reconnects.
/// </summary>
internal sealed class ListenerRegistry
{
    private readonly ConcurrentDictionary<OverlayListener, byte> _listeners = new();

    public bool IsEmpty => _listeners.IsEmpty;

    public int Count => _listeners.Count;

    /// <summary>The listeners now, for a loop that may see them come and go.</summary>
    public IReadOnlyList<OverlayListener> Snapshot() => [.. _listeners.Keys];

    public void Add(OverlayListener listener) => _listeners.TryAdd(listener, 0);

    public void Remove(OverlayListener listener) => _listeners.TryRemove(listener, out _);

    /// <summary>The live listener of <paramref name="service"/>, or <see langword="null"/> when none binds it here.</summary>
    public OverlayListener? Find(string service) => _listeners.Keys.FirstOrDefault(l => l.Service == service && !l.IsDisposed);
}
