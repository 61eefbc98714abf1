using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>
/// A TLS handshake with the endpoint at an address the network step verified, validated exactly as
/// the SDK's connections are (<see cref="EndpointTrust"/>): the system's trust store, plus the test
/// CA for loopback only. It records what the server presented so a refusal can say why.
/// </summary>
internal static class TlsProbe
{
    /// <summary>Connects and shakes hands; the handshake may take at most <paramref name="handshakeTimeout"/>.</summary>
    public static async Task<StepOutcome> RunAsync(DiagnosticTarget target, EndpointTrust trust, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        var (stream, failures) = await target.ConnectFirstAsync(cancellationToken).ConfigureAwait(false);
        if (stream is null)
        {
            return StepOutcome.Failed(
                $"Could not connect to {target.Host}:{target.Port} at any verified address ({string.Join("; ", failures)}).",
                $"Nothing accepted a TCP connection on port {target.Port} at the addresses the network step verified. Check that the private endpoint is approved and provisioned, that network security groups and firewalls between this client and those addresses allow TCP {target.Port}, and that the endpoint's port is right.",
                SettingNames.Endpoint);
        }

        var seen = new PresentedCertificate();
        var where = target.ConnectedAddress is { } address ? $"{address}:{target.Port}" : "the connector";
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        await using (tls.ConfigureAwait(false))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(handshakeTimeout);
            try
            {
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = target.Host,
                        RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                            seen.Record(certificate, chain, errors, trust.Validate(sender, certificate, chain, errors)),
                    },
                    timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return StepOutcome.Failed(
                    $"{target.Host} at {where} accepted the connection but did not complete a TLS handshake within {handshakeTimeout.TotalSeconds:0.#} s.",
                    $"Something at {where} accepts connections but does not speak TLS as Azure OpenAI does: a wrong port, or a device that holds connections open. Check the endpoint's port and what listens at that address.",
                    SettingNames.Endpoint);
            }
            catch (AuthenticationException) when (seen.Refused)
            {
                return Refused(target, where, seen);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException)
            {
                return StepOutcome.Failed(
                    $"The TLS handshake with {target.Host} at {where} failed: {ex.Message}",
                    $"Something at {where} does not complete TLS as Azure OpenAI does: a wrong port, a service that is not the resource, or a proxy that cuts the connection. Check the endpoint's port and what listens at that address.",
                    SettingNames.Endpoint);
            }

            var trustedBy = seen.Errors == SslPolicyErrors.None
                ? "the system's trust store"
                : $"the test CA of {SettingNames.TrustedCaCertificatePath} (honoured for loopback addresses only)";
            return StepOutcome.Ok($"{Protocol(tls.SslProtocol)} with {target.Host} at {where}: certificate {seen.Describe()}; trusted by {trustedBy}, name matches.");
        }
    }

    private static string Protocol(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLS 1.3",
        SslProtocols.Tls12 => "TLS 1.2",
        _ => protocol.ToString(),
    };

    private static StepOutcome Refused(DiagnosticTarget target, string where, PresentedCertificate seen)
    {
        var presented = $"The certificate {target.Host} presented at {where} was refused: {seen.Describe()}.";
        if (seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return StepOutcome.Failed(
                $"{target.Host} at {where} presented no certificate.",
                "Something other than the resource answers at this address. Check that DNS (or a host override) points the name at this resource's private endpoint.",
                SettingNames.HostOverrides, SettingNames.DnsServers);
        }

        if (seen.Errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return StepOutcome.Failed(
                $"{presented} It is for {seen.Names()}, not {target.Host}.",
                $"The certificate is not for {target.Host}: something other than this resource answers at {where}, or the endpoint is not the resource's own name. Set {SettingNames.Endpoint} to the resource's custom subdomain (https://NAME.openai.azure.com/), check that DNS (or a host override) points it at this resource's private endpoint, and that no proxy intercepts TLS.",
                SettingNames.Endpoint, SettingNames.HostOverrides);
        }

        if (seen.ChainStatus.Contains(X509ChainStatusFlags.NotTimeValid))
        {
            return StepOutcome.Failed(
                $"{presented} It is not valid at this machine's time ({seen.Validity()}).",
                "Check this machine's clock. If the clock is right, whatever presents this certificate is not Azure OpenAI (whose certificates are renewed before they expire): check the path to the resource for a proxy.");
        }

        return StepOutcome.Failed(
            $"{presented} Its chain is not trusted here ({string.Join(", ", seen.ChainStatus.DefaultIfEmpty(X509ChainStatusFlags.NoError))}).",
            $"This machine does not trust the certificate's issuer ({seen.Issuer}). A TLS-inspecting proxy or firewall between this client and Azure re-signs certificates: exempt *.openai.azure.com from inspection, or add its root CA to the system's trust store. For the local emulator, set {SettingNames.TrustedCaCertificatePath} to its ca.pem; it is honoured for loopback addresses only.",
            SettingNames.TrustedCaCertificatePath);
    }

    /// <summary>The certificate the server presented and the verdict on it, copied while the callback runs.</summary>
    private sealed class PresentedCertificate
    {
        private string _subject = "(none)";
        private IReadOnlyList<string> _names = [];
        private DateTime _notBefore;
        private DateTime _notAfter;

        public string Issuer { get; private set; } = "(none)";

        public SslPolicyErrors Errors { get; private set; }

        public IReadOnlyList<X509ChainStatusFlags> ChainStatus { get; private set; } = [];

        public bool Refused { get; private set; }

        public bool Record(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, bool accepted)
        {
            Errors = errors;
            Refused = !accepted;
            ChainStatus = chain is null ? [] : [.. chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct()];
            if (certificate is not null)
            {
                using var leaf = new X509Certificate2(certificate);
                _subject = leaf.Subject;
                Issuer = leaf.Issuer;
                _notBefore = leaf.NotBefore.ToUniversalTime();
                _notAfter = leaf.NotAfter.ToUniversalTime();
                _names = [.. leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>()
                    .SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(ip => ip.ToString())))];
            }

            return accepted;
        }

        public string Names() => _names.Count > 0 ? string.Join(", ", _names) : _subject;

        public string Validity() =>
            string.Create(CultureInfo.InvariantCulture, $"valid from {_notBefore:u} to {_notAfter:u}");

        public string Describe() =>
            string.Create(CultureInfo.InvariantCulture, $"{_subject}, issued by {Issuer}, valid until {_notAfter:u}");
    }
}
