using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

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

    /// <summary>As <see cref="Verify"/>, saying what failed.</summary>
    public static bool TryVerify(X509Certificate2 certificate, X509Certificate2 ca, string? usageOid, out string problem)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (usageOid is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        }

        if (!chain.Build(certificate))
        {
            problem = string.Join(", ", chain.ChainStatus.Select(s => s.Status));
            return false;
        }

        var endsAtCa = chain.ChainElements[^1].Certificate.RawData.AsSpan().SequenceEqual(ca.RawData);
        problem = endsAtCa ? string.Empty : "the chain does not end at the overlay CA";
        return endsAtCa;
    }

    /// <summary>The TLS validation callback's check: a name mismatch or a missing certificate is never forgiven.</summary>
    public static bool ChainsTo(X509Certificate? certificate, X509Certificate2 ca, SslPolicyErrors errors, string? usageOid = null)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return Verify(leaf, ca, usageOid);
    }
}
