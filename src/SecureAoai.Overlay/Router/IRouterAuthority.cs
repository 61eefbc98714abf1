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

    /// <summary>Whether <paramref name="identity"/> may dial <paramref name="service"/>; <see langword="false"/> for a service that does not exist.</summary>
    bool CanDial(string identity, string service);

    /// <summary>Whether <paramref name="identity"/> may bind <paramref name="service"/>; <see langword="false"/> for a service that does not exist.</summary>
    bool CanBind(string identity, string service);

    /// <summary>Whether <paramref name="identity"/> is revoked or gone (read from the store, so a revocation by another process counts).</summary>
    bool IsRevoked(string identity);

    /// <summary>Raised with an identity's name when it is revoked; its live connections must close.</summary>
    event Action<string>? IdentityRevoked;
}

/// <summary>An authenticated party: its name and role attributes.</summary>
internal sealed record RouterCaller(string Name, IReadOnlyList<string> Roles);
