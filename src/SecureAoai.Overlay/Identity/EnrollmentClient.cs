using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay;

/// <summary>
/// Enrolls this machine as an overlay identity or router: generates an ECDSA P-256 key locally (it
/// never leaves the machine), sends the one-time token and a CSR to the controller named in the token,
/// and writes the identity file (mode 0600). The controller is trusted only if its TLS chain ends at
/// a CA certificate whose SHA-256 fingerprint is the one in the token, and its certificate is the
/// controller's (not a router's); otherwise nothing is sent.
/// </summary>
/// <example><code>using var identity = await EnrollmentClient.EnrollAsync(File.ReadAllText("chatapp.jwt"), "chatapp.json");</code></example>
public static class EnrollmentClient
{
    /// <summary>Enrolls an identity with <paramref name="jwt"/> and writes its identity file to <paramref name="outputPath"/>, which must not exist.</summary>
    /// <param name="jwt">An identity's one-time token.</param>
    /// <param name="outputPath">Where to write the identity file (mode 0600).</param>
    /// <param name="cancellationToken">Cancels the enrollment.</param>
    /// <returns>The enrolled identity.</returns>
    /// <exception cref="OverlayEnrollmentException">The token is invalid or a router's, the controller untrusted or unreachable, it refused the token, or the file exists.</exception>
    public static async Task<OverlayIdentity> EnrollAsync(string jwt, string outputPath, CancellationToken cancellationToken = default)
    {
        var (name, controller, caPem, certificatePem, keyPem) = await EnrollPartyAsync(jwt, outputPath, null, cancellationToken).ConfigureAwait(false);
        OverlayIdentity.Write(outputPath, name, controller, caPem, certificatePem, keyPem);
        return OverlayIdentity.Load(outputPath);
    }

    /// <summary>
    /// Enrolls a router with <paramref name="jwt"/>: the controller issues it a server certificate for the
    /// host of <paramref name="listenAddress"/>, where it will listen and where identities will reach it.
    /// Writes the router's identity file to <paramref name="outputPath"/>, which must not exist.
    /// </summary>
    /// <param name="jwt">A router's one-time token.</param>
    /// <param name="outputPath">Where to write the router's identity file (mode 0600).</param>
    /// <param name="listenAddress">Where the router will listen, <c>HOST:PORT</c>: an IP address or a DNS name identities can reach.</param>
    /// <param name="cancellationToken">Cancels the enrollment.</param>
    /// <returns>The enrolled router's identity.</returns>
    /// <exception cref="ArgumentException"><paramref name="listenAddress"/> is not <c>HOST:PORT</c>.</exception>
    /// <exception cref="OverlayEnrollmentException">The token is invalid or an identity's, the controller untrusted or unreachable, it refused the token, or the file exists.</exception>
    public static async Task<OverlayRouterIdentity> EnrollRouterAsync(string jwt, string outputPath, string listenAddress, CancellationToken cancellationToken = default)
    {
        if (!HostPort.TryParse(listenAddress, out _, out var port) || port == 0)
        {
            throw new ArgumentException($"'{listenAddress}' is not HOST:PORT with a port from 1 to 65535; a router's address is where identities reach it.", nameof(listenAddress));
        }

        var (name, controller, caPem, certificatePem, keyPem) = await EnrollPartyAsync(jwt, outputPath, listenAddress, cancellationToken).ConfigureAwait(false);
        OverlayRouterIdentity.Write(outputPath, name, controller, listenAddress, caPem, certificatePem, keyPem);
        return OverlayRouterIdentity.Load(outputPath);
    }

    /// <summary>Enrolls an identity (no <paramref name="routerAddress"/>) or a router, and returns what its file holds.</summary>
    private static async Task<(string Name, string Controller, string CaPem, string CertificatePem, string KeyPem)> EnrollPartyAsync(
        string jwt, string outputPath, string? routerAddress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var token = EnrollmentToken.Parse(jwt);
        var forRouter = routerAddress is not null;
        if (token.IsForRouter != forRouter)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.WrongTokenKind, token.IsForRouter
                ? "The token enrolls a router, not an identity; enroll it as a router (EnrollmentClient.EnrollRouterAsync) with the address it will listen on. Nothing was sent."
                : "The token enrolls an identity, not a router; enroll it as an identity (EnrollmentClient.EnrollAsync). Nothing was sent.");
        }

        if (token.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.InvalidToken, $"The enrollment token expired at {token.ExpiresAt:u}. Ask the overlay's administrator for a new one.");
        }

        if (File.Exists(outputPath))
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.Refused, $"'{outputPath}' already exists; write the identity file elsewhere or remove it first. Nothing was sent.");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={token.IdentityId}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var request = new JsonObject { ["op"] = forRouter ? ControllerProtocol.EnrollRouterOp : ControllerProtocol.EnrollOp, ["token"] = jwt.Trim(), ["csr"] = csr };
        if (forRouter)
        {
            request["address"] = routerAddress;
        }

        JsonObject response;
        try
        {
            using var pinned = await DownloadPinnedCaAsync(token, cancellationToken).ConfigureAwait(false);
            // The connection that carries the token validates the controller strictly against the pinned CA.
            await using var client = await ControllerClient.ConnectAsync(token.ControllerAddress, ControllerClient.TrustOnly(pinned), null, cancellationToken).ConfigureAwait(false);
            response = await client.RequestAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.Unreachable, $"Could not enroll with the controller at {token.ControllerAddress}: {ex.Message}", ex);
        }

        if (response["ok"]?.GetValue<bool>() != true)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.Refused, $"The controller refused the enrollment: {ControllerProtocol.GetString(response, "message")}");
        }

        var certificatePem = ControllerProtocol.GetString(response, "certificate");
        var caPem = ControllerProtocol.GetString(response, "ca");
        if (certificatePem is null || caPem is null)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.Refused, "The controller's answer has no certificate or CA.");
        }

        using var ca = X509Certificate2.CreateFromPem(caPem);
        using var issued = X509Certificate2.CreateFromPem(certificatePem);
        using var issuedKey = issued.GetECDsaPublicKey();
        var usage = forRouter ? OverlayCertificateAuthority.ServerAuthOid : OverlayCertificateAuthority.ClientAuthOid;
        if (OverlayCertificateAuthority.ComputeFingerprint(ca) != token.CaFingerprint || !OverlayTrust.Verify(issued, ca, usage) ||
            issuedKey is null || !issuedKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.ControllerUntrusted, "The issued certificate does not chain to the pinned CA or is not for this key.");
        }

        return (issued.GetNameInfo(X509NameType.SimpleName, false), token.ControllerAddress, caPem, certificatePem, key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// Learns the overlay CA from the controller and pins it: the CA must have the token's
    /// fingerprint, and the certificate the controller proved it holds in the handshake must chain
    /// to it with a matching name. This first connection carries no secret (only <c>{"op":"ca"}</c>);
    /// the handshake accepts the server provisionally because the trust anchor is exactly what is
    /// being fetched, and everything is verified before the token is sent on a second connection.
    /// </summary>
    private static async Task<X509Certificate2> DownloadPinnedCaAsync(EnrollmentToken token, CancellationToken cancellationToken)
    {
        X509Certificate2? leaf = null;
        var nameMatches = false;
        JsonObject answer;
        await using (var probe = await ControllerClient.ConnectAsync(token.ControllerAddress, (_, certificate, _, errors) =>
        {
            leaf?.Dispose();
            leaf = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            nameMatches = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
            return leaf is not null;
        }, null, cancellationToken).ConfigureAwait(false))
        {
            answer = await probe.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.CaOp }, cancellationToken).ConfigureAwait(false);
        }

        using (leaf)
        {
            var caPem = ControllerProtocol.GetString(answer, "ca");
            X509Certificate2? ca = null;
            try
            {
                ca = caPem is null ? null : X509Certificate2.CreateFromPem(caPem);
            }
            catch (CryptographicException)
            {
                ca = null;
            }

            string? failure = ca is null ? "it did not return a CA certificate."
                : OverlayCertificateAuthority.ComputeFingerprint(ca) != token.CaFingerprint ? "its CA's SHA-256 fingerprint is not the one in the token (another overlay?)."
                : !nameMatches ? "its certificate is not for the address in the token."
                : leaf is null || !OverlayTrust.Verify(leaf, ca, OverlayCertificateAuthority.ServerAuthOid) ? "its certificate does not chain to the pinned CA."
                : !OverlayTrust.IsControllerCertificate(leaf) ? "its certificate is not the controller's (a router's certificate, perhaps, for the controller's address)."
                : null;
            if (failure is not null)
            {
                ca?.Dispose();
                throw new OverlayEnrollmentException(OverlayEnrollmentFailure.ControllerUntrusted,
                    $"The controller at {token.ControllerAddress} is not trusted: {failure} The token was not sent; check that it came from this overlay's administrator.");
            }

            return ca!;
        }
    }
}
