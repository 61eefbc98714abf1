using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Overlay.Router;

/// <summary>What the router asks the controller: who a certificate is, and what it may dial or bind.</summary>
internal interface IRouterAuthority
{
    /// <summary>The overlay CA every party's certificate must chain to.</summary>
    X509Certificate2 CaCertificate { get; }

    /// <summary>The identity a client certificate belongs to, or <see langword="null"/> when it is unknown or revoked.</summary>
    RouterCaller? Authenticate(X509Certificate2 certificate);

    /// <summary>Whether <paramref name="identity"/> may connect to this router at all (router policies).</summary>
    bool CanUseRouter(string identity);

    /// <summary>
    /// A controller-signed bind grant for the caller's certificate on <paramref name="service"/>,
    /// handed to the binder to show dialers; <see langword="null"/> when it may not bind it: no Bind
    /// policy lets it, the service does not exist, or the identity is unknown or revoked (read from the
    /// store, so a revocation by another process counts). This is the router's whole check of a bind.
    /// The router relays grants; it cannot make them.
    /// </summary>
    byte[]? IssueBindGrant(RouterCaller caller, string service);

    /// <summary>
    /// A controller-signed dial grant for the caller's certificate on <paramref name="service"/>
    /// (its name and roles as the controller knows them), forwarded to the binder with the dial;
    /// <see langword="null"/> when it may not dial it, on the same terms as <see cref="IssueBindGrant"/>.
    /// This is the router's whole check of a dial.
    /// </summary>
    byte[]? IssueDialGrant(RouterCaller caller, string service);

    /// <summary>Whether <paramref name="identity"/> is revoked or gone (read from the store, so a revocation by another process counts).</summary>
    bool IsRevoked(string identity);

    /// <summary>Raised with an identity's name when it is revoked; its live connections must close.</summary>
    event Action<string>? IdentityRevoked;
}

/// <summary>An authenticated party: its name and role attributes.</summary>
internal sealed record RouterCaller(string Name, IReadOnlyList<string> Roles)
{
    /// <summary>SHA-256 of the certificate it connected with (DER, lower-case hex): what its grants are bound to.</summary>
    public string Thumbprint { get; init; } = string.Empty;
}
