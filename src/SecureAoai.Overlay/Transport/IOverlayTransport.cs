namespace SecureAoai.Overlay;

/// <summary>
/// The overlay, as everything above it uses it: dial a service by name, bind a service by name and
/// accept its dials, each stream carrying the identity at the other end. The HttpClient connector
/// (<see cref="OverlayConnector"/>), the tunnel (<see cref="OverlayTunnel"/>), the service host
/// (<see cref="OverlayServiceHost"/>) and the Kestrel transport of SecureAoai.AspNetCore work on this
/// interface alone.
/// </summary>
/// <remarks>
/// <see cref="OverlayContext"/>, the embedded overlay, implements it. An adapter to another overlay
/// network (such as OpenZiti) implements it too; it must give each stream half-close, abort and the
/// peer's identity (see <see cref="OverlayStream"/>), and each listener the null-when-unbound contract
/// of <see cref="IOverlayListener.AcceptAsync"/>.
/// </remarks>
/// <example>
/// <code>
/// IOverlayTransport overlay = OverlayContext.FromIdentityFile("laptop.json");
/// await using var stream = await overlay.DialAsync("echo");
/// </code>
/// </example>
public interface IOverlayTransport
{
    /// <summary>The identity this transport dials and binds as.</summary>
    string IdentityName { get; }

    /// <summary>Opens a stream to <paramref name="service"/>; its <see cref="OverlayStream.Peer"/> is the binder.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The connection.</returns>
    /// <exception cref="OverlayDialException">The dial failed; <see cref="OverlayDialException.Reason"/> says why.</exception>
    Task<OverlayStream> DialAsync(string service, CancellationToken cancellationToken = default);

    /// <summary>Binds <paramref name="service"/>: its dials arrive through the listener until it is disposed.</summary>
    /// <param name="service">The service's name.</param>
    /// <param name="cancellationToken">Cancels the bind.</param>
    /// <returns>The listener.</returns>
    /// <exception cref="OverlayDialException">The bind failed; <see cref="OverlayDialException.Reason"/> says why.</exception>
    Task<IOverlayListener> BindAsync(string service, CancellationToken cancellationToken = default);
}
