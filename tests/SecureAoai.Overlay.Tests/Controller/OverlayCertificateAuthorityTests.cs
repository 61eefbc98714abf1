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

        Assert.Throws<InvalidOperationException>(() => OverlayController.Initialize(overlay.Directory, "127.0.0.1:1"));
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
