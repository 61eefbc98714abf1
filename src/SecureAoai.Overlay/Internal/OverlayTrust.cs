using System.Formats.Asn1;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Internal;

/// <summary>
/// The one place a certificate is checked against the overlay's own CA: a custom root (never the
/// system store, never "accept anything"), no revocation or download lookups, and the chain must end
/// at exactly that CA. Used for TLS to the router and controller, enrollment and the end-to-end handshake.
/// </summary>
internal static class OverlayTrust
{
    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/> (and allows <paramref name="usageOid"/>, when given).</summary>
    public static bool Verify(X509Certificate2 certificate, X509Certificate2 ca, string? usageOid = null) =>
        TryVerify(certificate, ca, usageOid, out _);

    /// <summary>
    /// As <see cref="Verify"/>, saying what failed. A usage, when asked for, must be named in the
    /// certificate's extended key usage: a certificate without that extension (valid for "any
    /// purpose" to a plain chain check) does not pass. <paramref name="at"/> is the time of the check;
    /// now when <see langword="null"/>.
    /// </summary>
    public static bool TryVerify(X509Certificate2 certificate, X509Certificate2 ca, string? usageOid, out string problem, DateTimeOffset? at = null)
    {
        if (usageOid is not null && !HasUsage(certificate, usageOid))
        {
            problem = $"it lacks the {UsageName(usageOid)} usage";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (at is { } time)
        {
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
        }

        if (usageOid is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        }

        if (!chain.Build(certificate))
        {
            problem = "it does not chain to the overlay CA (" + string.Join(", ", chain.ChainStatus.Select(s => s.Status)) + ")";
            return false;
        }

        var endsAtCa = chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData);
        problem = endsAtCa ? string.Empty : "its chain does not end at the overlay CA";
        return endsAtCa;
    }

    /// <summary>The TLS validation callback's check: a name mismatch or a missing certificate is never forgiven.</summary>
    public static bool ChainsTo(X509Certificate? certificate, X509Certificate2 ca, SslPolicyErrors errors, string? usageOid = null) =>
        ChainsTo(certificate, ca, errors, usageOid, out _);

    /// <summary>As <see cref="ChainsTo(X509Certificate?, X509Certificate2, SslPolicyErrors, string?)"/>, saying what failed.</summary>
    public static bool ChainsTo(X509Certificate? certificate, X509Certificate2 ca, SslPolicyErrors errors, string? usageOid, out string problem)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            problem = "it presented no certificate";
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            problem = $"its certificate '{leaf.Subject}' is not issued for the address dialed";
            return false;
        }

        if (!TryVerify(leaf, ca, usageOid, out var why))
        {
            problem = $"its certificate '{leaf.Subject}' is refused: {why}";
            return false;
        }

        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// The SDK's check of a router's TLS certificate: it chains to <paramref name="ca"/> for serverAuth, names
    /// the address dialed, and is a router's (a SAN URI <c>urn:secureaoai:router:ID</c>). The controller's
    /// certificate is a server certificate of the same CA for its own address, and must not pass for a router:
    /// a party holding it would see which services an identity dials and when.
    /// </summary>
    public static bool ChainsToRouter(X509Certificate? certificate, X509Certificate2 ca, SslPolicyErrors errors, out string problem)
    {
        if (!ChainsTo(certificate, ca, errors, OverlayCertificateAuthority.ServerAuthOid, out problem))
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
        if (!SubjectUris(leaf).Any(uri => uri.StartsWith(OverlayCertificateAuthority.RouterUriPrefix, StringComparison.Ordinal)))
        {
            problem = $"its certificate '{leaf.Subject}' is not a router's (it has no {OverlayCertificateAuthority.RouterUriPrefix}ID name{(IsControllerCertificate(leaf) ? "; it is the controller's" : string.Empty)})";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> has the shape of an overlay identity's certificate: an
    /// extended key usage of client authentication and not server authentication, and a SAN URI
    /// <c>urn:secureaoai:identity:ID</c>. Router, controller and grant-signing certificates fail.
    /// Says nothing about the issuer: chain it with <see cref="TryVerify"/> as well.
    /// </summary>
    public static bool IsIdentityCertificate(X509Certificate2 certificate, out string problem)
    {
        if (HasUsage(certificate, OverlayCertificateAuthority.ServerAuthOid))
        {
            problem = $"'{certificate.Subject}' is not an identity certificate: it is a server certificate (its usages include serverAuth)";
            return false;
        }

        if (!HasUsage(certificate, OverlayCertificateAuthority.ClientAuthOid))
        {
            problem = $"'{certificate.Subject}' is not an identity certificate: it lacks the clientAuth usage";
            return false;
        }

        if (!SubjectUris(certificate).Any(uri => uri.StartsWith(OverlayCertificateAuthority.IdentityUriPrefix, StringComparison.Ordinal)))
        {
            problem = $"'{certificate.Subject}' is not an identity certificate: it has no {OverlayCertificateAuthority.IdentityUriPrefix}ID name";
            return false;
        }

        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> is the controller's: it has the URI name
    /// <c>urn:secureaoai:controller</c>, which the CA gives the controller's certificate and no router's
    /// or identity's. A router, whose certificate names the host it chose at enrollment, cannot pass for
    /// the controller and take an enrollee's token. Says nothing about the issuer: chain it as well.
    /// </summary>
    public static bool IsControllerCertificate(X509Certificate2 certificate) =>
        SubjectUris(certificate).Contains(OverlayCertificateAuthority.ControllerUri, StringComparer.Ordinal);

    /// <summary>Whether the certificate's extended key usage extension names <paramref name="usageOid"/>.</summary>
    private static bool HasUsage(X509Certificate2 certificate, string usageOid)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension usages)
            {
                foreach (var oid in usages.EnhancedKeyUsages)
                {
                    if (oid.Value == usageOid)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>The URIs among the certificate's subject alternative names (none when the extension is absent or malformed).</summary>
    private static List<string> SubjectUris(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        if (certificate.Extensions["2.5.29.17"] is not { } extension)
        {
            return uris;
        }

        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(uriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            uris.Clear();
        }

        return uris;
    }

    private static string UsageName(string usageOid) => usageOid switch
    {
        OverlayCertificateAuthority.ServerAuthOid => "serverAuth (server authentication)",
        OverlayCertificateAuthority.ClientAuthOid => "clientAuth (client authentication)",
        OverlayCertificateAuthority.GrantSigningOid => "overlay grant-signing",
        _ => usageOid,
    };
}
