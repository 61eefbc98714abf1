using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Tests.Controller;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Crypto;

/// <summary>Grants as the controller issues them and as an SDK end checks them, on a fake clock.</summary>
public sealed class GrantTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private OverlayFixture _overlay = null!;
    private OverlayIdentity _alice = null!;

    private OverlayController Controller => _overlay.Controller;

    private X509Certificate2 Ca => Controller.CertificateAuthority.Certificate;

    public async Task InitializeAsync()
    {
        _overlay = OverlayFixture.Start(_time);
        Controller.Administration.CreateIdentity("alice", ["clients", "ops"]);
        Controller.Administration.CreateService("chat", ["apps"]);
        Controller.Administration.CreateService("docs", ["apps"]);
        Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#apps"]);
        Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["@alice"], ["@docs"]);
        _alice = await EnrollmentClient.EnrollAsync(Controller.Administration.CreateEnrollmentToken("alice"), _overlay.PathFor("alice.json"));
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        await _overlay.DisposeAsync();
    }

    [Fact]
    public void Verify_GenuineDialGrant_CarriesTheIdentityAsTheControllerKnowsIt()
    {
        var grant = Issue(GrantKind.Dial, "chat");

        var verified = new GrantVerifier(Ca, _time).Verify(grant, GrantKind.Dial, "chat");

        Assert.Equal("alice", verified.IdentityName);
        Assert.Equal(["clients", "ops"], verified.Roles);
        Assert.Equal(OverlayCertificateAuthority.ComputeFingerprint(_alice.Certificate), verified.Thumbprint);
        Assert.Equal(GrantIssuer.DialGrantLifetime, verified.Lifetime);
    }

    [Fact]
    public void VerifyPeer_GenuineBindGrantAndItsCertificate_Accepted()
    {
        var verified = new GrantVerifier(Ca, _time).VerifyPeer(_alice.Certificate, Issue(GrantKind.Bind, "docs"), GrantKind.Bind, "docs");

        Assert.Equal(GrantIssuer.BindGrantLifetime, verified.Lifetime);
    }

    [Fact]
    public void Verify_ClaimsAlteredAfterSigning_RefusedAsForged()
    {
        var grant = Issue(GrantKind.Dial, "chat");
        var at = grant.AsSpan().IndexOf("\"ops\""u8);
        "\"adm\""u8.CopyTo(grant.AsSpan(at));

        var error = Assert.Throws<AuthenticationException>(() => new GrantVerifier(Ca, _time).Verify(grant, GrantKind.Dial, "chat"));

        Assert.Contains("forged or altered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SignedWithAnIdentityKeyFromTheSameCa_RefusedAsNotTheGrantSigner()
    {
        // Alice signs a grant for herself with her own (CA-issued) key and certificate.
        using var key = _alice.Certificate.GetECDsaPrivateKey()!;
        var forged = Claims(GrantKind.Bind, "chat").Sign(_alice.Certificate.RawData, key);

        var error = Assert.Throws<AuthenticationException>(() => new GrantVerifier(Ca, _time).Verify(forged, GrantKind.Bind, "chat"));

        Assert.Contains("not the overlay controller's grant signer", error.Message, StringComparison.Ordinal);
        Assert.Contains("grant-signing usage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SignedByTheGrantSignerOfAnotherOverlay_Refused()
    {
        await using var other = OverlayFixture.Start(_time, serve: false);
        other.Controller.Administration.CreateIdentity("alice", ["clients"]);
        other.Controller.Administration.CreateService("chat", ["apps"]);
        var foreign = other.Controller.CertificateAuthority;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var signer = foreign.IssueGrantSignerCertificate("grant-signer", key, GrantIssuer.SignerLifetime);
        var grant = Claims(GrantKind.Bind, "chat").Sign(signer.RawData, key);

        var error = Assert.Throws<AuthenticationException>(() => new GrantVerifier(Ca, _time).Verify(grant, GrantKind.Bind, "chat"));

        Assert.Contains("does not chain to the overlay CA", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bind", "chat", "is a dial grant, not a bind grant")]
    [InlineData("dial", "docs", "is for service 'chat', not 'docs'")]
    public void Verify_OtherKindOrService_Refused(string kind, string service, string expected)
    {
        var grant = Issue(GrantKind.Dial, "chat");

        var error = Assert.Throws<AuthenticationException>(() => new GrantVerifier(Ca, _time).Verify(grant, kind == "bind" ? GrantKind.Bind : GrantKind.Dial, service));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_PastExpiry_AcceptedWithinTheSkewAndRefusedAfter()
    {
        var grant = Issue(GrantKind.Dial, "chat");
        var verifier = new GrantVerifier(Ca, _time);
        verifier.Verify(grant, GrantKind.Dial, "chat");

        _time.Advance(GrantIssuer.DialGrantLifetime + GrantVerifier.ClockSkew - TimeSpan.FromSeconds(1));
        verifier.Verify(grant, GrantKind.Dial, "chat");
        _time.Advance(TimeSpan.FromSeconds(1));
        var error = Assert.Throws<AuthenticationException>(() => verifier.Verify(grant, GrantKind.Dial, "chat"));

        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_VerifierClockBehindTheIssuer_AcceptedWithinTheSkewAndRefusedBeyond()
    {
        var grant = Issue(GrantKind.Dial, "chat");
        var behindBySkew = new FakeTimeProvider(_time.GetUtcNow() - GrantVerifier.ClockSkew);
        var behindByMore = new FakeTimeProvider(_time.GetUtcNow() - GrantVerifier.ClockSkew - TimeSpan.FromSeconds(1));

        new GrantVerifier(Ca, behindBySkew).Verify(grant, GrantKind.Dial, "chat");
        var error = Assert.Throws<AuthenticationException>(() => new GrantVerifier(Ca, behindByMore).Verify(grant, GrantKind.Dial, "chat"));

        Assert.Contains("check the clocks", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Truncated_RefusedAsMalformed()
    {
        var grant = Issue(GrantKind.Dial, "chat");

        var error = Assert.Throws<AuthenticationException>(() => new GrantVerifier(Ca, _time).Verify(grant.AsSpan(0, grant.Length - 1), GrantKind.Dial, "chat"));

        Assert.Contains("malformed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyHolder_AnotherIdentitysCertificate_Refused()
    {
        Controller.Administration.CreateIdentity("bob", ["clients"]);
        using var bob = await EnrollmentClient.EnrollAsync(Controller.Administration.CreateEnrollmentToken("bob"), _overlay.PathFor("bob.json"));
        var alices = new GrantVerifier(Ca, _time).Verify(Issue(GrantKind.Dial, "chat"), GrantKind.Dial, "chat");

        var error = Assert.Throws<AuthenticationException>(() => GrantVerifier.VerifyHolder(bob.Certificate, alices));

        Assert.Contains("issued to another certificate (of identity 'alice'), not to 'CN=bob'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyHolder_CertificateWithoutIdentityUsageAndName_Refused()
    {
        using var otherCa = TestPki.CreateCa("any-ca");
        using var bare = TestPki.CreateIdentity(otherCa, "alice");
        var alices = new GrantVerifier(Ca, _time).Verify(Issue(GrantKind.Dial, "chat"), GrantKind.Dial, "chat");

        var error = Assert.Throws<AuthenticationException>(() => GrantVerifier.VerifyHolder(bare, alices));

        Assert.Contains("not an identity certificate: it lacks the clientAuth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IssueGrant_AskedAgainWithinHalfItsLifetime_SameGrantThenAFreshOne()
    {
        var first = Issue(GrantKind.Bind, "docs");

        _time.Advance((GrantIssuer.BindGrantLifetime / 2) - TimeSpan.FromSeconds(1));
        var again = Issue(GrantKind.Bind, "docs");
        _time.Advance(TimeSpan.FromSeconds(1));
        var fresh = Issue(GrantKind.Bind, "docs");

        Assert.Equal(first, again);
        Assert.NotEqual(first, fresh);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), new GrantVerifier(Ca, _time).Verify(fresh, GrantKind.Bind, "docs").IssuedAt.ToUnixTimeSeconds());
    }

    [Fact]
    public void IssueGrant_PolicyDataChanged_NextGrantIsFreshWithTheNewRights()
    {
        var before = Issue(GrantKind.Dial, "chat");
        Assert.Null(Controller.Authorizer.IssueGrant(GrantKind.Bind, Thumbprint, "chat"));

        Controller.Administration.CreateServicePolicy("bind-chat", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["@alice"], ["@chat"]);

        Assert.NotEqual(before, Issue(GrantKind.Dial, "chat"));
        Assert.NotNull(Controller.Authorizer.IssueGrant(GrantKind.Bind, Thumbprint, "chat"));
    }

    [Fact]
    public void IssueGrant_NotAllowedUnknownOrRevoked_Null()
    {
        using var router = Controller.CertificateAuthority.IssueServerCertificate("router", ["localhost"], [IPAddress.Loopback]);

        Assert.Null(Controller.Authorizer.IssueGrant(GrantKind.Bind, Thumbprint, "chat"));
        Assert.Null(Controller.Authorizer.IssueGrant(GrantKind.Dial, Thumbprint, "no-such-service"));
        Assert.Null(Controller.Authorizer.IssueGrant(GrantKind.Dial, OverlayCertificateAuthority.ComputeFingerprint(router), "chat"));
        Controller.Administration.RevokeIdentity("alice");
        Assert.Null(Controller.Authorizer.IssueGrant(GrantKind.Dial, Thumbprint, "chat"));
    }

    [Fact]
    public async Task IssueGrant_LongestNameAndMostRoles_FitsAGrantAndARoutersOpenMetadata()
    {
        var longest = new string('n', RoleExpressions.MaxNameLength);
        var roles = Enumerable.Range(0, RoleExpressions.MaxRolesPerEntity).Select(i => $"{i:D2}" + new string('r', RoleExpressions.MaxNameLength - 2)).ToArray();
        Controller.Administration.CreateIdentity(longest, roles);
        var service = longest[..^1] + "s";
        Controller.Administration.CreateService(service, ["apps"]);
        Controller.Administration.CreateServicePolicy("dial-longest", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["@" + longest], ["#apps"]);
        using var identity = await EnrollmentClient.EnrollAsync(Controller.Administration.CreateEnrollmentToken(longest), _overlay.PathFor("longest.json"));

        var grant = Controller.Authorizer.IssueGrant(GrantKind.Dial, OverlayCertificateAuthority.ComputeFingerprint(identity.Certificate), service);

        Assert.NotNull(grant);
        Assert.InRange(grant.Length, 1, OverlayGrant.MaxBytes);
        var forward = new Overlay.Router.RouterRequest { Op = Overlay.Router.RouterRequest.Dial, Service = service, Grant = grant }.ToBytes();
        Assert.InRange(forward.Length, 1, new Overlay.Protocol.MuxOptions().MaxOpenMetadataBytes);
    }

    [Fact]
    public void Sign_GrantSignerCertificate_HasOnlyTheGrantSigningUsage()
    {
        var parts = OverlayGrant.TrySplit(Issue(GrantKind.Dial, "chat"), out _)!.Value;
        using var signer = X509CertificateLoader.LoadCertificate(parts.SignerDer);

        var usages = signer.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);

        Assert.Equal([OverlayCertificateAuthority.GrantSigningOid], usages);
        Assert.False(global::SecureAoai.Overlay.Internal.OverlayTrust.IsIdentityCertificate(signer, out _));
        Assert.Contains("grant-signer", Encoding.ASCII.GetString(signer.RawData), StringComparison.Ordinal);
    }

    private string Thumbprint => OverlayCertificateAuthority.ComputeFingerprint(_alice.Certificate);

    private byte[] Issue(GrantKind kind, string service) =>
        Controller.Authorizer.IssueGrant(kind, Thumbprint, service) ?? throw new InvalidOperationException($"No {kind} grant for alice on {service}.");

    private OverlayGrant Claims(GrantKind kind, string service)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        return new OverlayGrant(kind, service, "id", "alice", ["clients"], Thumbprint, now, now + TimeSpan.FromMinutes(10));
    }
}
