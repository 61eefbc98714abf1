using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>Enrollment against the real ControllerServer on 127.0.0.1.</summary>
public sealed class EnrollmentTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private OverlayFixture _overlay = null!;

    public Task InitializeAsync()
    {
        _overlay = OverlayFixture.Start(_time);
        _overlay.Controller.Administration.CreateIdentity("alice", ["clients"]);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    [Fact]
    public async Task EnrollAsync_ValidToken_WritesWorkingIdentityFileWithMode0600()
    {
        var jwt = _overlay.Controller.Administration.CreateEnrollmentToken("alice");
        var path = _overlay.PathFor("alice.json");

        using var identity = await EnrollmentClient.EnrollAsync(jwt, path);

        Assert.Equal("alice", identity.Name);
        Assert.Equal(_overlay.Controller.ControllerAddress, identity.ControllerAddress);
        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.True(OverlayTrust.Verify(identity.Certificate, _overlay.Controller.CertificateAuthority.Certificate));
        Assert.Equal(_overlay.Controller.CertificateAuthority.Fingerprint, OverlayCertificateAuthority.ComputeFingerprint(identity.CaCertificate));
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(path) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.NotNull(_overlay.Controller.Authorizer.ResolveIdentity(identity.Certificate));
        using var reloaded = OverlayIdentity.Load(path);
        Assert.Equal(identity.Certificate.Thumbprint, reloaded.Certificate.Thumbprint);
    }

    [Fact]
    public async Task EnrollAsync_TokenUsedTwice_SecondIsRefused()
    {
        var jwt = _overlay.Controller.Administration.CreateEnrollmentToken("alice");
        using var first = await EnrollmentClient.EnrollAsync(jwt, _overlay.PathFor("a1.json"));

        var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollAsync(jwt, _overlay.PathFor("a2.json")));

        Assert.Equal(OverlayEnrollmentFailure.Refused, ex.Reason);
        Assert.False(File.Exists(_overlay.PathFor("a2.json")));
    }

    [Fact]
    public async Task EnrollAsync_TokenExpiredOnControllerClock_IsRefused()
    {
        var jwt = _overlay.Controller.Administration.CreateEnrollmentToken("alice", TimeSpan.FromMinutes(1));
        _time.Advance(TimeSpan.FromMinutes(2));

        var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollAsync(jwt, _overlay.PathFor("a.json")));

        Assert.Equal(OverlayEnrollmentFailure.Refused, ex.Reason);
        Assert.Contains("expired", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrollAsync_PayloadChanged_IsRefused()
    {
        var other = _overlay.Controller.Administration.CreateIdentity("bob", []);
        var parts = _overlay.Controller.Administration.CreateEnrollmentToken("alice").Split('.');
        var payload = JsonNode.Parse(Base64UrlDecode(parts[1]))!.AsObject();
        payload["sub"] = other.Id;
        var tampered = $"{parts[0]}.{Base64UrlEncode(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";

        var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollAsync(tampered, _overlay.PathFor("a.json")));

        Assert.Equal(OverlayEnrollmentFailure.Refused, ex.Reason);
        Assert.Contains("signature", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnrollAsync_SignatureBroken_IsRefused()
    {
        var parts = _overlay.Controller.Administration.CreateEnrollmentToken("alice").Split('.');
        var signature = Base64UrlDecode(parts[2]);
        signature[10] ^= 0xFF;
        var tampered = $"{parts[0]}.{parts[1]}.{Base64UrlEncode(signature)}";

        var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollAsync(tampered, _overlay.PathFor("a.json")));

        Assert.Equal(OverlayEnrollmentFailure.Refused, ex.Reason);
    }

    [Fact]
    public async Task EnrollOp_TokenFromAnotherOverlaysCa_IsRefusedByController()
    {
        await using var other = OverlayFixture.Start(serve: false);
        other.Controller.Administration.CreateIdentity("alice", []);
        var foreign = other.Controller.Administration.CreateEnrollmentToken("alice");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(_overlay.Controller.CertificateAuthority.Certificate), null, default);
        var response = await client.RequestAsync(new JsonObject { ["op"] = "enroll", ["token"] = foreign, ["csr"] = csr }, default);

        Assert.False(response["ok"]!.GetValue<bool>());
        Assert.Equal("enrollment-refused", response["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task EnrollAsync_ControllerCaDoesNotMatchTokenFingerprint_RefusesWithoutSending()
    {
        // Another overlay whose token names our controller's address: the enrollee pins the other CA.
        var otherDirectory = OverlayFixture.NewTempDirectory();
        using var other = OverlayController.Initialize(otherDirectory, _overlay.Controller.ControllerAddress);
        try
        {
            other.Administration.CreateIdentity("alice", []);
            var jwt = other.Administration.CreateEnrollmentToken("alice");

            var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollAsync(jwt, _overlay.PathFor("a.json")));

            Assert.Equal(OverlayEnrollmentFailure.ControllerUntrusted, ex.Reason);
            Assert.False(File.Exists(_overlay.PathFor("a.json")));
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

    [Fact]
    public void Parse_NotAJwt_ThrowsInvalidToken()
    {
        var ex = Assert.Throws<OverlayEnrollmentException>(() => EnrollmentToken.Parse("not-a-token"));
        Assert.Equal(OverlayEnrollmentFailure.InvalidToken, ex.Reason);
    }

    [Fact]
    public void Parse_IssuedToken_CarriesControllerSubjectMethodAndFingerprint()
    {
        var jwt = _overlay.Controller.Administration.CreateEnrollmentToken("alice", TimeSpan.FromHours(2));

        var token = EnrollmentToken.Parse(jwt);

        Assert.Equal(_overlay.Controller.ControllerAddress, token.ControllerAddress);
        Assert.Equal(_overlay.Controller.Store.FindIdentity("alice")!.Id, token.IdentityId);
        Assert.Equal(_overlay.Controller.CertificateAuthority.Fingerprint, token.CaFingerprint);
        Assert.Equal(_time.GetUtcNow().AddHours(2).ToUnixTimeSeconds(), token.ExpiresAt.ToUnixTimeSeconds());
        Assert.Equal("ES256", new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(jwt).Alg);
    }

    private static byte[] Base64UrlDecode(string value) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(value);

    private static string Base64UrlEncode(byte[] value) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(value);

    [Fact]
    public async Task EnrollAsync_TwoIdentitiesInARow_BothEnroll()
    {
        _overlay.Controller.Administration.CreateIdentity("bob", ["servers"]);
        using var alice = await EnrollmentClient.EnrollAsync(_overlay.Controller.Administration.CreateEnrollmentToken("alice"), _overlay.PathFor("alice.json"));
        using var bob = await EnrollmentClient.EnrollAsync(_overlay.Controller.Administration.CreateEnrollmentToken("bob"), _overlay.PathFor("bob.json"));

        Assert.Equal(["alice", "bob"], new[] { alice.Name, bob.Name });
    }
}
