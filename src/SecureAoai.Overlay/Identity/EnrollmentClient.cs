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
/// Enrolls this machine as an overlay identity: generates an ECDSA P-256 key locally (it never
/// leaves the machine), sends the one-time token and a CSR to the controller named in the token,
/// and writes the identity file (mode 0600). The controller is trusted only if its TLS chain ends
/// at a CA certificate whose SHA-256 fingerprint is the one in the token; otherwise nothing is sent.
/// </summary>
/// <example><code>using var identity = await EnrollmentClient.EnrollAsync(File.ReadAllText("chatapp.jwt"), "chatapp.json");</code></example>
public static class EnrollmentClient
{
    /// <summary>Enrolls with <paramref name="jwt"/> and writes the identity file to <paramref name="outputPath"/>, which must not exist.</summary>
    /// <exception cref="OverlayEnrollmentException">The token is invalid, the controller untrusted or unreachable, or it refused the token.</exception>
    public static async Task<OverlayIdentity> EnrollAsync(string jwt, string outputPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var token = EnrollmentToken.Parse(jwt);
        if (token.ExpiresAt <= DateTimeOffset.UtcNow)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.InvalidToken, $"The enrollment token expired at {token.ExpiresAt:u}. Ask the administrator for a new one.");
        }

        if (File.Exists(outputPath))
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.Refused, $"'{outputPath}' already exists; choose another --out or remove it first. Nothing was sent.");
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest($"CN={token.IdentityId}", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        JsonObject response;
        try
        {
            using var pinned = await DownloadPinnedCaAsync(token, cancellationToken).ConfigureAwait(false);
            // The connection that carries the token validates the controller strictly against the pinned CA.
            await using var client = await ControllerClient.ConnectAsync(token.ControllerAddress, ControllerClient.TrustOnly(pinned), null, cancellationToken).ConfigureAwait(false);
            response = await client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.EnrollOp, ["token"] = jwt.Trim(), ["csr"] = csr }, cancellationToken).ConfigureAwait(false);
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

        using (var ca = X509Certificate2.CreateFromPem(caPem))
        using (var issued = X509Certificate2.CreateFromPem(certificatePem))
        using (var issuedKey = issued.GetECDsaPublicKey())
        {
            if (OverlayCertificateAuthority.ComputeFingerprint(ca) != token.CaFingerprint || !OverlayTrust.Verify(issued, ca) ||
                issuedKey is null || !issuedKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new OverlayEnrollmentException(OverlayEnrollmentFailure.ControllerUntrusted, "The issued certificate does not chain to the pinned CA or is not for this key.");
            }

            OverlayIdentity.Write(outputPath, issued.GetNameInfo(X509NameType.SimpleName, false), token.ControllerAddress, caPem, certificatePem, key.ExportPkcs8PrivateKeyPem());
        }

        return OverlayIdentity.Load(outputPath);
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
