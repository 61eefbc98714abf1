namespace SecureAoai.Overlay;

/// <summary>
/// A bound service (see <see cref="IOverlayTransport.BindAsync"/>): its dials, each with the caller's
/// identity. Disposing it unbinds; connections already accepted stay open.
/// </summary>
public interface IOverlayListener : IAsyncDisposable
{
    /// <summary>The service bound.</summary>
    string Service { get; }

    /// <summary>Whether the overlay delivers dials to this listener right now (false while it reconnects).</summary>
    bool IsBound { get; }

    /// <summary>Waits for the next dial.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The connection, its <see cref="OverlayStream.Peer"/> the caller; <see langword="null"/> once the listener is disposed (unbound).</returns>
    ValueTask<OverlayStream?> AcceptAsync(CancellationToken cancellationToken = default);
}
