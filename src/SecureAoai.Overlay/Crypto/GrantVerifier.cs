using System.Collections.Concurrent;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// Checks grants against the overlay CA an identity pinned at enrollment, never against anything a
/// router sends: the signer's certificate must chain to that CA and carry the grant-signing usage,
/// the signature must verify, and the grant must be of the kind and service expected and within its
/// validity (give or take <see cref="ClockSkew"/>). One per <see cref="OverlayContext"/>.
/// </summary>
/// <remarks>
/// Cached, both bounded by <see cref="MaxCacheEntries"/> (a full cache starts over): signers whose
/// chain verified, until their certificate expires; and grants whose signature verified, keyed by
/// the SHA-256 of the whole encoded grant, so a binder's grant is verified once per dialer rather
/// than once per dial. The kind, service and time of a cached grant are checked on every use.
/// </remarks>
internal sealed class GrantVerifier
{
    /// <summary>
    /// How far the clocks of the controller and this party may disagree: a grant counts from its
    /// issue time minus this until its expiry plus this. The default value is 2 minutes.
    /// </summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    /// <summary>The most signers, and the most grants, kept as verified.</summary>
    public const int MaxCacheEntries = 1024;

    private readonly X509Certificate2 _ca;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (byte[] SubjectPublicKeyInfo, DateTimeOffset NotAfter)> _signers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OverlayGrant> _grants = new(StringComparer.Ordinal);

    public GrantVerifier(X509Certificate2 ca, TimeProvider time)
    {
        _ca = ca;
        _time = time;
    }

    /// <summary>
    /// Checks that <paramref name="peer"/> is an overlay identity's certificate and that
    /// <paramref name="grant"/> entitles exactly that certificate to <paramref name="kind"/>
    /// <paramref name="service"/>; returns the grant (the peer's name and roles).
    /// </summary>
    /// <exception cref="AuthenticationException">Not so; the message says what is wrong.</exception>
    public OverlayGrant VerifyPeer(X509Certificate2 peer, ReadOnlySpan<byte> grant, GrantKind kind, string service)
    {
        RequireIdentityCertificate(peer);
        var verified = Verify(grant, kind, service);
        RequireHolder(peer, verified);
        return verified;
    }

    /// <summary>Checks that <paramref name="peer"/> is an overlay identity's certificate and the very one <paramref name="grant"/> (already verified) was issued to.</summary>
    /// <exception cref="AuthenticationException">Not so; the message says what is wrong.</exception>
    public static void VerifyHolder(X509Certificate2 peer, OverlayGrant grant)
    {
        RequireIdentityCertificate(peer);
        RequireHolder(peer, grant);
    }

    /// <summary>Checks the grant's signer, signature, kind, service and validity; returns it.</summary>
    /// <exception cref="AuthenticationException">It is missing, malformed, forged, expired or for something else.</exception>
    public OverlayGrant Verify(ReadOnlySpan<byte> grant, GrantKind kind, string service)
    {
        if (grant.IsEmpty)
        {
            throw new AuthenticationException($"It presented no {Describe(kind)} for '{service}'.");
        }

        var now = _time.GetUtcNow();
        var key = Convert.ToHexString(SHA256.HashData(grant));
        if (!_grants.TryGetValue(key, out var verified))
        {
            verified = VerifySignedGrant(grant, now);
            if (_grants.Count >= MaxCacheEntries)
            {
                _grants.Clear();
            }

            _grants[key] = verified;
        }

        if (verified.Kind != kind)
        {
            throw new AuthenticationException($"The grant it presented is a {Describe(verified.Kind)}, not a {Describe(kind)}, for identity '{verified.IdentityName}'.");
        }

        if (!string.Equals(verified.Service, service, StringComparison.Ordinal))
        {
            throw new AuthenticationException($"The {Describe(kind)} it presented is for service '{verified.Service}', not '{service}'.");
        }

        if (now < verified.IssuedAt - ClockSkew)
        {
            throw new AuthenticationException($"The {Describe(kind)} of '{verified.IdentityName}' is issued at {verified.IssuedAt:u}, later than this clock ({now:u}) by more than {ClockSkew.TotalMinutes} minutes; check the clocks.");
        }

        if (now >= verified.ExpiresAt + ClockSkew)
        {
            throw new AuthenticationException($"The {Describe(kind)} of '{verified.IdentityName}' expired at {verified.ExpiresAt:u} (now {now:u}).");
        }

        return verified;
    }

    private OverlayGrant VerifySignedGrant(ReadOnlySpan<byte> grant, DateTimeOffset now)
    {
        var parts = OverlayGrant.TrySplit(grant, out var problem)
            ?? throw new AuthenticationException($"The grant it presented is malformed: {problem}.");
        var signerKey = SignerKey(parts.SignerDer, now);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(signerKey, out _);
        if (!OverlayGrant.VerifySignature(ecdsa, parts.Claims, parts.Signature))
        {
            throw new AuthenticationException("The grant it presented does not carry a valid signature of the overlay's controller: it was forged or altered.");
        }

        return OverlayGrant.TryParseClaims(parts.Claims, out problem)
            ?? throw new AuthenticationException($"The grant it presented is signed but malformed: {problem}.");
    }

    /// <summary>The public key of a grant-signing certificate that chains to the CA, checked once per certificate.</summary>
    private byte[] SignerKey(byte[] signerDer, DateTimeOffset now)
    {
        var key = Convert.ToHexString(SHA256.HashData(signerDer));
        if (_signers.TryGetValue(key, out var known) && now < known.NotAfter)
        {
            return known.SubjectPublicKeyInfo;
        }

        X509Certificate2 signer;
        try
        {
            signer = X509CertificateLoader.LoadCertificate(signerDer);
        }
        catch (CryptographicException ex)
        {
            throw new AuthenticationException("The grant's signer certificate is not a valid X.509 certificate.", ex);
        }

        using (signer)
        {
            if (!OverlayTrust.TryVerify(signer, _ca, OverlayCertificateAuthority.GrantSigningOid, out var problem, now))
            {
                throw new AuthenticationException($"The grant's signer '{signer.Subject}' is not the overlay controller's grant signer: {problem}.");
            }

            using var publicKey = signer.GetECDsaPublicKey()
                ?? throw new AuthenticationException($"The grant's signer '{signer.Subject}' has no ECDSA key.");
            var spki = publicKey.ExportSubjectPublicKeyInfo();
            if (_signers.Count >= MaxCacheEntries)
            {
                _signers.Clear();
            }

            _signers[key] = (spki, new DateTimeOffset(signer.NotAfter.ToUniversalTime(), TimeSpan.Zero));
            return spki;
        }
    }

    private static void RequireIdentityCertificate(X509Certificate2 peer)
    {
        if (!OverlayTrust.IsIdentityCertificate(peer, out var problem))
        {
            throw new AuthenticationException(problem + ".");
        }
    }

    private static void RequireHolder(X509Certificate2 peer, OverlayGrant grant)
    {
        if (!string.Equals(grant.Thumbprint, OverlayCertificateAuthority.ComputeFingerprint(peer), StringComparison.Ordinal))
        {
            throw new AuthenticationException($"The {Describe(grant.Kind)} was issued to another certificate (of identity '{grant.IdentityName}'), not to '{peer.Subject}'.");
        }
    }

    private static string Describe(GrantKind kind) => kind == GrantKind.Bind ? "bind grant" : "dial grant";
}
