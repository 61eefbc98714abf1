using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Controller;

public sealed class OverlayCertificateAuthorityTests
{
    [Fact]
    public async Task Initialize_NewDirectory_WritesKeyWithMode0600AndPublishesFingerprint()
    {
        await using var overlay = OverlayFixture.Start(serve: false);
        var ca = overlay.Controller.CertificateAuthority;

        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(overlay.PathFor("ca.key")) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ca.Certificate.RawData)), ca.Fingerprint);
        Assert.True(ca.Certificate.NotAfter > DateTime.UtcNow.AddYears(9));
        Assert.Contains("BEGIN PRIVATE KEY", await File.ReadAllTextAsync(overlay.PathFor("ca.key")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_ExistingOverlay_RefusesToOverwrite()
    {
        await using var overlay = OverlayFixture.Start(serve: false);

        var ex = Assert.Throws<OverlayAdministrationException>(() => OverlayController.Initialize(overlay.Directory, "127.0.0.1:1"));

        Assert.Equal(OverlayAdministrationProblem.AlreadyInitialized, ex.Problem);
    }

    [Fact]
    public async Task Open_KeyReadableByOthers_RefusesWithChmodFix()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }

        await using var overlay = OverlayFixture.Start(serve: false);
        File.SetUnixFileMode(overlay.PathFor("ca.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var ex = Assert.Throws<InvalidDataException>(() => OverlayController.Open(overlay.Directory));

        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAdministration_ChangesThatSignNothing_NeverReadTheCaKey()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }

        await using var overlay = OverlayFixture.Start(serve: false);
        // A key readable by others is refused the moment it is read: so every step that succeeds here never read it.
        File.SetUnixFileMode(overlay.PathFor("ca.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        using (var admin = OverlayAdministration.Open(overlay.Directory))
        {
            admin.CreateService("chat", ["apps"]);
            admin.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#all"], ["#apps"]);
            admin.CreateIdentity("alice", []);
            admin.RevokeIdentity("alice");
            admin.CreateRouter("r1", ["edge"]);
            admin.DeletePolicy("dial");
            Assert.Single(admin.ListRouters());

            var signing = Assert.Throws<InvalidDataException>(() => admin.CreateRouterEnrollmentToken("r1"));
            Assert.Contains("chmod 600", signing.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task IssueRouterCertificate_Csr_HasServerAndClientAuthTheHostAndARouterNameOnly()
    {
        await using var overlay = OverlayFixture.Start(serve: false);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=ignored", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        using var certificate = overlay.Controller.CertificateAuthority.IssueRouterCertificate("r-id", "r1", csr, "10.1.2.3");

        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["10.1.2.3"], names.EnumerateIPAddresses().Select(a => a.ToString()));
        Assert.Empty(names.EnumerateDnsNames());
        Assert.Contains("urn:secureaoai:router:r-id", names.Format(false), StringComparison.Ordinal);
        Assert.True(overlay.Controller.CertificateAuthority.Issued(certificate, OverlayCertificateAuthority.ServerAuthOid));
        Assert.True(overlay.Controller.CertificateAuthority.Issued(certificate, OverlayCertificateAuthority.ClientAuthOid));
        Assert.False(SecureAoai.Overlay.Internal.OverlayTrust.IsIdentityCertificate(certificate, out _));
        Assert.False(SecureAoai.Overlay.Internal.OverlayTrust.IsControllerCertificate(certificate));
    }

    [Fact]
    public async Task IssueIdentityCertificate_PublicKey_HasNameUriAndClientAuthOnly()
    {
        await using var overlay = OverlayFixture.Start(serve: false);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var certificate = overlay.Controller.CertificateAuthority.IssueIdentityCertificate("abc", "alice", new PublicKey(key));

        Assert.Equal("alice", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Contains("urn:secureaoai:identity:abc", certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().Format(false), StringComparison.Ordinal);
        Assert.True(overlay.Controller.CertificateAuthority.Issued(certificate));
        Assert.False(overlay.Controller.CertificateAuthority.Issued(certificate, OverlayCertificateAuthority.ServerAuthOid));
        Assert.True(certificate.NotAfter < DateTime.UtcNow.AddDays(366));
    }
}
