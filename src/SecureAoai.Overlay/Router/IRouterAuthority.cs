using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// What the router asks the controller: who a certificate is, and what it may dial or bind. Two
/// answer it: <see cref="ControllerAuthority"/> when the controller runs in the router's process, and
/// <see cref="RemoteRouterAuthority"/> when the router is an enrolled router of its own that asks the
/// controller over mutual TLS. The asynchronous members may throw
/// <see cref="RouterAuthorityUnavailableException"/> when the router cannot get an answer (its
/// controller has been unreachable for too long); the router refuses the request with
/// <c>ControllerUnreachable</c> instead of <c>NotAuthorized</c>, so the party can go to another router.
/// </summary>
internal interface IRouterAuthority
{
    /// <summary>The overlay CA every party's certificate must chain to.</summary>
    X509Certificate2 CaCertificate { get; }

    /// <summary>The identity a client certificate belongs to, or <see langword="null"/> when it is unknown, revoked, or no router policy lets it use this router.</summary>
    /// <exception cref="RouterAuthorityUnavailableException">No answer can be had now.</exception>
    ValueTask<RouterCaller?> AuthenticateAsync(X509Certificate2 certificate, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="identity"/> may connect to this router at all (router policies).</summary>
    bool CanUseRouter(string identity);

    /// <summary>
    /// A controller-signed bind grant for the caller's certificate on <paramref name="service"/>,
    /// handed to the binder to show dialers; <see langword="null"/> when it may not bind it: no Bind
    /// policy lets it, the service does not exist, the identity is unknown or revoked, or no router policy
    /// lets it use this router. This is the router's whole check of a bind. The router relays grants; it
    /// cannot make them.
    /// </summary>
    /// <exception cref="RouterAuthorityUnavailableException">No answer can be had now.</exception>
    ValueTask<byte[]?> IssueBindGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken);

    /// <summary>
    /// A controller-signed dial grant for the caller's certificate on <paramref name="service"/>
    /// (its name and roles as the controller knows them), forwarded to the binder with the dial;
    /// <see langword="null"/> when it may not dial it, on the same terms as <see cref="IssueBindGrantAsync"/>.
    /// This is the router's whole check of a dial.
    /// </summary>
    /// <exception cref="RouterAuthorityUnavailableException">No answer can be had now.</exception>
    ValueTask<byte[]?> IssueDialGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="identity"/> is revoked, gone, or no longer allowed on this router, as far as the router knows now.</summary>
    bool IsRevoked(string identity);

    /// <summary>Raised with an identity's name when it is revoked or may no longer use this router; its live connections must close.</summary>
    event Action<string>? IdentityRevoked;

    /// <summary>
    /// Raised when the router learns that the controller's state changed (a policy, service, role or
    /// identity; an enrolled router once it has read the new state, so its grant answers are the new
    /// state's). Every live bind asks again whether it may still bind.
    /// </summary>
    event Action? StateChanged;
}

/// <summary>An authenticated party: its name and role attributes.</summary>
internal sealed record RouterCaller(string Name, IReadOnlyList<string> Roles)
{
    /// <summary>SHA-256 of the certificate it connected with (DER, lower-case hex): what its grants are bound to.</summary>
    public string Thumbprint { get; init; } = string.Empty;
}
