using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Overlay.Router;

/// <summary>Certificate checks against the overlay's own CA (a custom root, never "accept anything").</summary>
internal static class OverlayTrust
{
    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="ca"/>; a name mismatch is never forgiven.</summary>
    public static bool ChainsTo(X509Certificate certificate, X509Certificate2 ca, SslPolicyErrors errors)
    {
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
