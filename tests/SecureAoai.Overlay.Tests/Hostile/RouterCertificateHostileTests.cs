using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Overlay.Tests.Hostile;

/// <summary>Something that is not an overlay router answers at the router's address; the SDK must not talk to it.</summary>
public sealed class RouterCertificateHostileTests
{
    [Fact]
    public async Task Connect_RouterPresentsClientAuthOnlyCertificateFromTheOverlayCa_RefusedAsRouterNotTrusted()
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("echo", ["demo"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        var client = await fabric.EnrollAsync("client", "clients");

        // The name and address match, and the overlay CA signed it; only the usage is a client's.
        using var clientAuthOnly = IssueLoopbackCertificate(fabric.Controller.CertificateAuthority, "impostor", OverlayCertificateAuthority.ClientAuthOid);
        await using var impostor = new CompromisedRouter(clientAuthOnly, fabric.Controller.CertificateAuthority.Certificate, (k, t, s) => fabric.Controller.Authorizer.IssueGrant(k, t, s));
        impostor.OnDial = (_, incoming, request) => impostor.TerminateAsBinderAsync(incoming, clientAuthOnly, request.Service);
        impostor.Start();
        var context = fabric.Context(client, new OverlayContextOptions { RouterAddress = impostor.Address });

        var error = await Assert.ThrowsAsync<OverlayDialException>(async () =>
        {
            await using var stream = await context.DialAsync("echo").WaitAsync(TimeSpan.FromSeconds(30));
        });

        Assert.Equal(OverlayDialFailure.RouterNotTrusted, error.Reason);
        Assert.Contains("serverAuth", error.Message, StringComparison.Ordinal);
        Assert.Contains(impostor.Address, error.Message, StringComparison.Ordinal);
    }

    /// <summary>A leaf from the overlay CA for localhost and 127.0.0.1 with exactly <paramref name="usageOid"/>, as only someone with the CA key could make.</summary>
    private static X509Certificate2 IssueLoopbackCertificate(OverlayCertificateAuthority authority, string name, string usageOid)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usageOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        using var publicOnly = request.Create(authority.Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(authority.SigningKey), now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        using var withKey = publicOnly.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
