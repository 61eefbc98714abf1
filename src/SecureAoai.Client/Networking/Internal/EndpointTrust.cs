using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// Certificate validation for the client's connections: the system trust store for every host,
/// plus one extra CA (the emulator's) for connections that reach a loopback address. Validation is never switched off.
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

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// Creates the handler every client connection goes through. Redirects are not followed: the
    /// request's <c>api-key</c> header would go with them. No proxy: a connection goes to the
    /// address the network policy verified, and the trust decision reads that connection's peer.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        UseProxy = false,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
    };

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        // Only a chain that ends in our one extra CA is forgiven, and only on a connection that
        // reaches loopback; a name mismatch or a missing certificate never is.
        if (_loopbackCa is null || errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }

        if (!ReachesLoopback(sender))
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

    /// <summary>
    /// Whether the connection being validated reaches a loopback address: for a TCP connection, the
    /// address its socket is connected to, never a DNS answer (which can change between the connect
    /// and this check); for a stream a connector opened, only when the host name itself is loopback.
    /// </summary>
    internal static bool ReachesLoopback(object sender)
    {
        if (sender is not SslStream tls)
        {
            return false;
        }

        if (InnerStream(tls) is NetworkStream network)
        {
            try
            {
                return network.Socket.RemoteEndPoint is IPEndPoint peer && IPAddress.IsLoopback(peer.Address);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }

        var host = tls.TargetHostName;
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>
    /// The stream the TLS stream runs on: the one the connect callback returned. Protected API of a
    /// public framework type, read without reflection; the validation callback gets only the TLS stream.
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_InnerStream")]
    private static extern Stream InnerStream(AuthenticatedStream stream);

    public void Dispose()
    {
        if (!ReferenceEquals(this, SystemOnly))
        {
            _loopbackCa?.Dispose();
        }
    }
}
