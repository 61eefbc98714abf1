using System.Collections.Concurrent;
using System.Security.Cryptography;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's grant signer. Its key is an ECDSA P-256 key made in memory when the controller
/// starts, never written to disk; its certificate comes from the overlay CA with the grant-signing
/// usage only, so no identity, router or controller TLS key can sign a grant, and the CA key signs
/// nothing per dial. The signer is replaced <see cref="SignerRenewBefore"/> before it expires.
/// </summary>
/// <remarks>
/// A grant is reused while it is younger than half its lifetime and the policy data it was made from
/// is unchanged (any write to the overlay's store starts over), so a binder's renewals and an
/// identity's repeated dials cost a dictionary lookup, not a signature, and a change of roles or
/// policy shows in the very next grant.
/// </remarks>
internal sealed class GrantIssuer : IDisposable
{
    /// <summary>How long a bind grant is valid; the binder asks for a new one after half of it.</summary>
    public static readonly TimeSpan BindGrantLifetime = TimeSpan.FromMinutes(10);

    /// <summary>How long a dial grant is valid: it only has to reach the binder, once.</summary>
    public static readonly TimeSpan DialGrantLifetime = TimeSpan.FromMinutes(2);

    /// <summary>How long a grant-signing certificate is valid.</summary>
    public static readonly TimeSpan SignerLifetime = TimeSpan.FromDays(7);

    /// <summary>A new signer is made when less than this is left of the current one.</summary>
    public static readonly TimeSpan SignerRenewBefore = TimeSpan.FromDays(1);

    /// <summary>The most grants kept for reuse; the cache starts over when full.</summary>
    public const int MaxCachedGrants = 16_384;

    private const string SignerName = "grant-signer";

    private readonly OverlayCertificateAuthority _authority;
    private readonly TimeProvider _time;
    private readonly Lock _signerGate = new();
    private readonly ConcurrentDictionary<(GrantKind Kind, string Thumbprint, string Service), Issued> _issued = new();
    private Signer? _signer;
    private Signer? _previous;

    public GrantIssuer(OverlayCertificateAuthority authority, TimeProvider time)
    {
        _authority = authority;
        _time = time;
    }

    /// <summary>
    /// A signed <paramref name="kind"/> grant on <paramref name="service"/> for <paramref name="identity"/>'s
    /// enrolled certificate. The caller has checked that policy allows it, in the snapshot whose
    /// version is <paramref name="policyVersion"/>.
    /// </summary>
    public byte[] Issue(GrantKind kind, IdentityRecord identity, string service, long policyVersion)
    {
        var thumbprint = identity.CertificateThumbprint ?? throw new ArgumentException($"Identity '{identity.Name}' is not enrolled.", nameof(identity));
        var now = _time.GetUtcNow();
        var key = (kind, thumbprint, service);
        if (_issued.TryGetValue(key, out var cached) && cached.PolicyVersion == policyVersion && now < cached.ReuseUntil)
        {
            return cached.Grant;
        }

        var signer = CurrentSigner(now);
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expiresAt = issuedAt + (kind == GrantKind.Bind ? BindGrantLifetime : DialGrantLifetime);
        if (expiresAt > signer.NotAfter)
        {
            expiresAt = signer.NotAfter;
        }

        var grant = new OverlayGrant(kind, service, identity.Id, identity.Name, identity.Roles, thumbprint, issuedAt, expiresAt)
            .Sign(signer.CertificateDer, signer.Key);
        if (_issued.Count >= MaxCachedGrants)
        {
            _issued.Clear();
        }

        _issued[key] = new Issued(grant, issuedAt + ((expiresAt - issuedAt) / 2), policyVersion);
        return grant;
    }

    public void Dispose()
    {
        lock (_signerGate)
        {
            _signer?.Key.Dispose();
            _previous?.Key.Dispose();
        }
    }

    private Signer CurrentSigner(DateTimeOffset now)
    {
        lock (_signerGate)
        {
            if (_signer is { } current && now < current.NotAfter - SignerRenewBefore)
            {
                return current;
            }

            // The signer before the last one is no longer used by any issue still running.
            _previous?.Key.Dispose();
            _previous = _signer;
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var certificate = _authority.IssueGrantSignerCertificate(SignerName, key, SignerLifetime);
            _signer = new Signer(key, certificate.RawData, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
            return _signer;
        }
    }

    private sealed record Signer(ECDsa Key, byte[] CertificateDer, DateTimeOffset NotAfter);

    private sealed record Issued(byte[] Grant, DateTimeOffset ReuseUntil, long PolicyVersion);
}
