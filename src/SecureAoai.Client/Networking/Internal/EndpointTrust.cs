using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// Certificate validation for the client's connections: the system trust store for every host,
/// plus one extra CA (the emulator's) for loopback connections only. Validation is never switched off.
/// </summary>
internal sealed class EndpointTrust : IDisposable
{
    private readonly X509Certificate2? _loopbackCa;

    private EndpointTrust(X509Certificate2? loopbackCa) => _loopbackCa = loopbackCa;

    public static EndpointTrust SystemOnly { get; } = new(null);

    /// <summary>Whether a CA besides the system's is trusted (for loopback connections).</summary>
    public bool HasExtraCa => _loopbackCa is not null;

    public static EndpointTrust FromOptions(string? trustedCaCertificatePath)
    {
        if (string.IsNullOrEmpty(trustedCaCertificatePath))
        {
            return SystemOnly;
        }

        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(File.ReadAllText(trustedCaCertificatePath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException(
                $"SecureOpenAI:TrustedCaCertificatePath '{trustedCaCertificatePath}' could not be read as a PEM certificate: {ex.Message}", ex);
        }

        return new EndpointTrust(ca);
    }

    /// <summary>
    /// Tells whether connections to a host name are pinned to loopback addresses (set by the
    /// endpoint guard). The default value is <see langword="null"/>: only loopback host names count.
    /// </summary>
    public Func<string, bool>? PinnedToLoopback { get; set; }

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Creates the handler every client connection goes through.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
    };

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // Only a chain that ends in our one extra CA is forgiven, and only for a loopback host;
        // a name mismatch or a missing certificate never is.
        if (_loopbackCa is null || errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }

        var host = sender switch
        {
            SslStream stream => stream.TargetHostName,
            HttpRequestMessage request => request.RequestUri?.DnsSafeHost,
            _ => null,
        };

        // A loopback host name, or a name whose connections the guard pinned to loopback addresses.
        if (host is null)
        {
            return false;
        }

        var loopbackHost = host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        var loopbackPinned = PinnedToLoopback?.Invoke(host) ?? false;
        if (!loopbackHost && !loopbackPinned)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_loopbackCa);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf);
    }

    public void Dispose()
    {
        if (!ReferenceEquals(this, SystemOnly))
        {
            _loopbackCa?.Dispose();
        }
    }
}
