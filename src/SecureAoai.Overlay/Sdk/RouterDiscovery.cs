using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>Learns from the controller (mutual TLS, the identity's certificate) which routers the identity may use.</summary>
internal sealed class RouterDiscovery(OverlayIdentity identity)
{
    /// <summary>The routers' <c>HOST:PORT</c> addresses, in the controller's order; never empty.</summary>
    /// <exception cref="IOException">The controller knows no router, or could not be read.</exception>
    public async Task<IReadOnlyList<string>> RoutersAsync(CancellationToken cancellationToken)
    {
        var session = await ControllerClient.GetSessionAsync(identity, cancellationToken).ConfigureAwait(false);
        return session.Routers.Count > 0
            ? [.. session.Routers.Select(router => router.Address)]
            : throw new IOException($"The controller at {identity.ControllerAddress} names no router '{identity.Name}' may use: none is enrolled and listening, or no router policy admits this identity. Ask the overlay's administrator, or set OverlayContextOptions.RouterAddress.");
    }
}
