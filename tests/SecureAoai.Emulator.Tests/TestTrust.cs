using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Emulator.Tests;

/// <summary>
/// HTTP clients that trust the emulator's test CA, and only it, for TLS: certificate validation stays
/// on; the chain must build to the given root, and nothing but the (expected) untrusted-root error
/// from the system store may be reported.
/// </summary>
internal static class TestTrust
{
    public static HttpClient CreateHttpClient(X509Certificate2 caCertificate) =>
        new(CreateHandler(caCertificate)) { Timeout = TimeSpan.FromSeconds(30) };

    public static SocketsHttpHandler CreateHandler(X509Certificate2 caCertificate) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(caCertificate, certificate, errors),
        },
    };

    public static bool IsTrusted(X509Certificate2 caCertificate, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(caCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
