using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's decisions: who a certificate is (an identity or a router), what an identity may
/// dial and bind, which routers it may use, and the signed grants that carry those decisions to the
/// parties. It reads one snapshot of the store, taken again only when the database changed (any
/// writer, this process or the CLI), so every answer is exact without a query per table per dial.
/// </summary>
internal sealed class OverlayAuthorizer
{
    private readonly OverlayStore _store;
    private readonly OverlayCertificateAuthority _authority;
    private readonly GrantIssuer _grants;
    private readonly Lock _gate = new();
    private PolicySnapshot? _snapshot;

    public OverlayAuthorizer(OverlayStore store, OverlayCertificateAuthority authority, GrantIssuer grants)
    {
        _store = store;
        _authority = authority;
        _grants = grants;
    }

    /// <summary>The enrolled, unrevoked identity a client certificate belongs to, or null (other CA, not an identity's, unknown, revoked).</summary>
    public IdentityRecord? ResolveIdentity(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!_authority.Issued(certificate) || !OverlayTrust.IsIdentityCertificate(certificate, out _))
        {
            return null;
        }

        return Snapshot().IdentitiesByThumbprint.TryGetValue(OverlayCertificateAuthority.ComputeFingerprint(certificate), out var identity) && !identity.IsRevoked
            ? identity
            : null;
    }

    /// <summary>
    /// The enrolled, unrevoked router a client certificate belongs to, or null. A router's certificate
    /// has both server and client authentication; an identity's has no server authentication, so no
    /// identity passes for a router, and the thumbprint must be the one the router enrolled with.
    /// </summary>
    public RouterRecord? ResolveRouter(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!_authority.Issued(certificate, OverlayCertificateAuthority.ServerAuthOid) || !_authority.Issued(certificate, OverlayCertificateAuthority.ClientAuthOid))
        {
            return null;
        }

        return Snapshot().RoutersByThumbprint.TryGetValue(OverlayCertificateAuthority.ComputeFingerprint(certificate), out var router) && !router.IsRevoked
            ? router
            : null;
    }

    /// <summary>The router of that name, or null.</summary>
    public RouterRecord? FindRouter(string name) => Snapshot().RoutersByName.GetValueOrDefault(name);

    /// <summary>Whether the identity may dial or bind the service; false for unknown names and revoked identities.</summary>
    public bool Authorize(string identityName, string serviceName, ServicePolicyType action)
    {
        var snapshot = Snapshot();
        return snapshot.IdentitiesByName.TryGetValue(identityName, out var identity)
            && snapshot.Services.TryGetValue(serviceName, out var service)
            && snapshot.Evaluator.Allows(identity, service, action);
    }

    /// <summary>
    /// A signed grant that lets the identity whose enrolled certificate has SHA-256
    /// <paramref name="thumbprint"/> (lower-case hex) bind or dial <paramref name="serviceName"/>, with its
    /// name and roles as this controller knows them; <see langword="null"/> when no such unrevoked
    /// identity exists, policy does not allow it, or, when <paramref name="router"/> asks, no router
    /// policy lets the identity use that router. A router relays grants but cannot make them, and a
    /// grant is worthless without the certificate's private key, so asking is safe for any router.
    /// </summary>
    public byte[]? IssueGrant(GrantKind kind, string thumbprint, string serviceName, RouterRecord? router = null)
    {
        var snapshot = Snapshot();
        return snapshot.IdentitiesByThumbprint.TryGetValue(thumbprint, out var identity)
            && !identity.IsRevoked
            && (router is null || snapshot.MayUse(identity, router))
            && snapshot.Services.TryGetValue(serviceName, out var service)
            && snapshot.Evaluator.Allows(identity, service, kind == GrantKind.Bind ? ServicePolicyType.Bind : ServicePolicyType.Dial)
                ? _grants.Issue(kind, identity, serviceName, snapshot.Version)
                : null;
    }

    /// <summary>Whether the identity is revoked or unknown.</summary>
    public bool IsIdentityRevoked(string identityName) =>
        !Snapshot().IdentitiesByName.TryGetValue(identityName, out var identity) || identity.IsRevoked;

    /// <summary>Whether the certificate with this SHA-256 thumbprint belongs to a revoked identity, or to no identity at all.</summary>
    public bool IsRevoked(string thumbprint) =>
        !Snapshot().IdentitiesByThumbprint.TryGetValue(thumbprint.ToLowerInvariant(), out var identity) || identity.IsRevoked;

    /// <summary>
    /// Whether the identity may use the router with this name. With no router policy at all, every
    /// unrevoked identity may use every router (what a fresh overlay needs to work); once one exists,
    /// only the policies decide.
    /// </summary>
    public bool CanUseRouter(string identityName, string routerName)
    {
        var snapshot = Snapshot();
        return snapshot.IdentitiesByName.TryGetValue(identityName, out var identity)
            && snapshot.RoutersByName.TryGetValue(routerName, out var router)
            && snapshot.MayUse(identity, router);
    }

    /// <summary>The routers the identity may use that can be reached: enrolled, unrevoked, with an address.</summary>
    public IReadOnlyList<RouterRecord> RoutersFor(IdentityRecord identity)
    {
        var snapshot = Snapshot();
        return [.. snapshot.RoutersByName.Values.Where(r => r.Address is not null && snapshot.MayUse(identity, r)).OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>The enrolled, unrevoked identities that may use the router, ordered by thumbprint.</summary>
    public IReadOnlyList<IdentityRecord> IdentitiesAllowedOn(RouterRecord router)
    {
        var snapshot = Snapshot();
        return [.. snapshot.IdentitiesByThumbprint.Values.Where(i => snapshot.MayUse(i, router)).OrderBy(i => i.CertificateThumbprint, StringComparer.Ordinal)];
    }

    public IReadOnlyList<ServiceRecord> DialableServices(IdentityRecord identity) => Snapshot().Evaluator.DialableServices(identity);

    public IReadOnlyList<ServiceRecord> BindableServices(IdentityRecord identity) => Snapshot().Evaluator.BindableServices(identity);

    /// <summary>The state every decision reads, re-read only when the database changed.</summary>
    private PolicySnapshot Snapshot()
    {
        var version = _store.DataVersion();
        lock (_gate)
        {
            if (_snapshot is { } current && current.Version == version)
            {
                return current;
            }
        }

        // Read outside the lock: every dial goes through here, and a slow disk must not serialize them.
        var fresh = PolicySnapshot.Read(_store, version);
        lock (_gate)
        {
            _snapshot = fresh;
        }

        return fresh;
    }

    /// <summary>The identities, routers, services and policies, taken at one moment.</summary>
    private sealed record PolicySnapshot(
        IReadOnlyDictionary<string, IdentityRecord> IdentitiesByName,
        IReadOnlyDictionary<string, IdentityRecord> IdentitiesByThumbprint,
        IReadOnlyDictionary<string, RouterRecord> RoutersByName,
        IReadOnlyDictionary<string, RouterRecord> RoutersByThumbprint,
        IReadOnlyDictionary<string, ServiceRecord> Services,
        IReadOnlyList<RouterPolicyRecord> RouterPolicies,
        PolicyEvaluator Evaluator,
        long Version)
    {
        public static PolicySnapshot Read(OverlayStore store, long version)
        {
            var identities = store.ListIdentities();
            var routers = store.ListRouters();
            return new PolicySnapshot(
                identities.ToDictionary(i => i.Name, StringComparer.Ordinal),
                ByThumbprint(identities.Where(i => !i.IsRevoked), i => i.CertificateThumbprint),
                routers.ToDictionary(r => r.Name, StringComparer.Ordinal),
                ByThumbprint(routers, r => r.CertificateThumbprint),
                store.ListServices().ToDictionary(s => s.Name, StringComparer.Ordinal),
                store.ListRouterPolicies(),
                store.CreateEvaluator(),
                version);
        }

        /// <summary>Whether the identity may use the router: both unrevoked, and no router policy or one that admits the pair.</summary>
        public bool MayUse(IdentityRecord identity, RouterRecord router) =>
            !identity.IsRevoked && !router.IsRevoked
            && (RouterPolicies.Count == 0 || RouterPolicies.Any(p =>
                RoleExpressions.Matches(p.IdentityRoles, p.Semantic, identity.Name, identity.Roles) &&
                RoleExpressions.Matches(p.RouterRoles, p.Semantic, router.Name, router.Roles)));

        private static Dictionary<string, T> ByThumbprint<T>(IEnumerable<T> records, Func<T, string?> thumbprint)
        {
            var result = new Dictionary<string, T>(StringComparer.Ordinal);
            foreach (var record in records)
            {
                // The first, as a lookup by thumbprint finds it; a duplicate must not break every authorization.
                if (thumbprint(record) is { } key)
                {
                    result.TryAdd(key, record);
                }
            }

            return result;
        }
    }
}
