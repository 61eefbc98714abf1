using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace SecureAoai.Overlay.Controller;

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
        var pin = new FingerprintPin(token.CaFingerprint);

        JsonObject response;
        try
        {
            await using var client = await ControllerClient.ConnectAsync(token.ControllerAddress, pin.Validate, null, cancellationToken).ConfigureAwait(false);
            response = await client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.EnrollOp, ["token"] = jwt.Trim(), ["csr"] = csr }, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex) when (pin.Failure is not null)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.ControllerUntrusted,
                $"The controller at {token.ControllerAddress} is not trusted: {pin.Failure} The token was not sent; check that it came from this overlay's administrator.", ex);
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException or InvalidDataException && !cancellationToken.IsCancellationRequested)
        {
            throw new OverlayEnrollmentException(OverlayEnrollmentFailure.Unreachable, $"Could not enroll with the controller at {token.ControllerAddress}: {ex.Message}", ex);
        }
        finally
        {
            pin.Ca?.Dispose();
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
            if (OverlayCertificateAuthority.ComputeFingerprint(ca) != token.CaFingerprint || !OverlayIdentity.ChainsTo(issued, ca) ||
                issuedKey is null || !issuedKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new OverlayEnrollmentException(OverlayEnrollmentFailure.ControllerUntrusted, "The issued certificate does not chain to the pinned CA or is not for this key.");
            }

            OverlayIdentity.Write(outputPath, issued.GetNameInfo(X509NameType.SimpleName, false), token.ControllerAddress, caPem, certificatePem, key.ExportPkcs8PrivateKeyPem());
        }

        return OverlayIdentity.Load(outputPath);
    }

    /// <summary>
    /// Validates the controller during the handshake: among the certificates it sent, one must
    /// have the pinned fingerprint, and the leaf must chain to it (serverAuth) with a matching name.
    /// </summary>
    private sealed class FingerprintPin(string fingerprint)
    {
        public string? Failure { get; private set; }

        public X509Certificate2? Ca { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null)
            {
                Failure = "it presented no certificate.";
                return false;
            }

            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                Failure = "its certificate is not for the address in the token.";
                return false;
            }

            var candidates = new List<X509Certificate2>();
            if (chain is not null)
            {
                candidates.AddRange(chain.ChainPolicy.ExtraStore);
                candidates.AddRange(chain.ChainElements.Select(e => e.Certificate));
            }

            var ca = candidates.FirstOrDefault(c => OverlayCertificateAuthority.ComputeFingerprint(c) == fingerprint);
            if (ca is null)
            {
                Failure = "it did not present the CA whose fingerprint the token names (another overlay?).";
                return false;
            }

            Ca = X509CertificateLoader.LoadCertificate(ca.RawData);
            if (!ControllerClient.ChainsToServer(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), Ca))
            {
                Failure = "its certificate does not chain to the pinned CA.";
                return false;
            }

            return true;
        }
    }
}
