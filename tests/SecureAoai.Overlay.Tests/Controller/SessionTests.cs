using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>The session and authorize operations over mutual TLS on 127.0.0.1.</summary>
public sealed class SessionTests : IAsyncLifetime
{
    private OverlayFixture _overlay = null!;

    public Task InitializeAsync()
    {
        _overlay = OverlayFixture.Start();
        var c = _overlay.Controller;
        c.Administration.CreateIdentity("alice", ["clients"]);
        c.Administration.CreateService("chat", ["apps"]);
        c.Administration.CreateService("docs", ["apps"]);
        c.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#apps"]);
        c.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["@alice"], ["@docs"]);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    private async Task<OverlayIdentity> EnrollAliceAsync() =>
        await EnrollmentClient.EnrollAsync(_overlay.Controller.Administration.CreateEnrollmentToken("alice"), _overlay.PathFor("alice.json"));

    [Fact]
    public async Task GetSessionAsync_EnrolledIdentity_ReturnsItsRolesAndServices()
    {
        using var alice = await EnrollAliceAsync();

        var session = await ControllerClient.GetSessionAsync(alice);

        Assert.Equal("alice", session.Name);
        Assert.Equal(["clients"], session.Roles);
        Assert.Equal(["chat", "docs"], session.DialServices);
        Assert.Equal(["docs"], session.BindServices);
    }

    [Fact]
    public async Task GetSessionAsync_RevokedIdentity_IsRefusedAndEventRaised()
    {
        using var alice = await EnrollAliceAsync();
        string? revoked = null;
        _overlay.Controller.Administration.IdentityRevoked += name => revoked = name;

        _overlay.Controller.Administration.RevokeIdentity("alice");

        Assert.Equal("alice", revoked);
        Assert.True(_overlay.Controller.Authorizer.IsRevoked(OverlayCertificateAuthority.ComputeFingerprint(alice.Certificate)));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => ControllerClient.GetSessionAsync(alice));
    }

    [Fact]
    public async Task SessionOp_CertificateFromAnotherCa_IsRefused()
    {
        await using var other = OverlayFixture.Start(serve: false);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var foreign = other.Controller.CertificateAuthority.IssueIdentityCertificate("x", "alice", new PublicKey(key));
        using var withKey = foreign.CopyWithPrivateKey(key);

        JsonObject? answer = null;
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(_overlay.Controller.CertificateAuthority.Certificate), withKey, default);
            answer = await client.RequestAsync(new JsonObject { ["op"] = "session" }, default);
        });

        // The controller refuses the certificate in the TLS handshake. With TLS 1.3 the client's side of
        // the handshake is done by then, so the refusal arrives as the alert or as the connection closing
        // unanswered; never as an answer, and never as some other failure.
        Assert.Null(answer);
        Assert.True(
            error is AuthenticationException || (error is IOException io && io.Message.Contains("without answering", StringComparison.Ordinal)),
            $"refused for another reason: {error}");
    }

    [Fact]
    public async Task SessionOp_NoClientCertificate_AnswersUnauthenticated()
    {
        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(_overlay.Controller.CertificateAuthority.Certificate), null, default);

        var response = await client.RequestAsync(new JsonObject { ["op"] = "session" }, default);

        Assert.Equal("unauthenticated", response["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task RouterGrantOp_EnrolledRouterCertificate_AnswersPerPolicy()
    {
        using var alice = await EnrollAliceAsync();
        using var router = await EnrollRouterAsync("edge-1", "127.0.0.1:40001");
        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(router.CaCertificate), router.Certificate, default);
        var thumbprint = OverlayCertificateAuthority.ComputeFingerprint(alice.Certificate);

        var dial = await client.RequestAsync(new JsonObject { ["op"] = "router-grant", ["kind"] = "dial", ["thumbprint"] = thumbprint, ["service"] = "chat" }, default);
        var bind = await client.RequestAsync(new JsonObject { ["op"] = "router-grant", ["kind"] = "bind", ["thumbprint"] = thumbprint, ["service"] = "chat" }, default);

        var grant = new GrantVerifier(router.CaCertificate, TimeProvider.System).Verify(Convert.FromBase64String(dial["grant"]!.GetValue<string>()), GrantKind.Dial, "chat");
        Assert.Equal("alice", grant.IdentityName);
        Assert.Null(bind["grant"]);
        Assert.False(string.IsNullOrEmpty(dial["version"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("router-grant")]
    [InlineData("router-identities")]
    [InlineData("router-watch")]
    public async Task RouterOps_IdentityCertificate_AreForbidden(string op)
    {
        using var alice = await EnrollAliceAsync();
        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(alice.CaCertificate), alice.Certificate, default);

        var response = await client.RequestAsync(new JsonObject { ["op"] = op, ["kind"] = "dial", ["thumbprint"] = OverlayCertificateAuthority.ComputeFingerprint(alice.Certificate), ["service"] = "chat" }, default);

        Assert.Equal("forbidden", response["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task RouterOps_RevokedRouter_AreForbidden()
    {
        using var router = await EnrollRouterAsync("edge-1", "127.0.0.1:40001");
        _overlay.Controller.Administration.RevokeRouter("edge-1");
        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(router.CaCertificate), router.Certificate, default);

        var response = await client.RequestAsync(new JsonObject { ["op"] = "router-watch" }, default);

        Assert.Equal("forbidden", response["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetSessionAsync_RouterPolicies_NameEveryRouterTheIdentityMayUseWithItsAddress()
    {
        using var alice = await EnrollAliceAsync();
        using var edge = await EnrollRouterAsync("edge-1", "127.0.0.1:40001", "edge");
        using var core = await EnrollRouterAsync("core-1", "127.0.0.1:40002", "core");
        _overlay.Controller.Administration.CreateRouter("pending", ["edge"]);

        var everything = await ControllerClient.GetSessionAsync(alice);
        _overlay.Controller.Administration.CreateRouterPolicy("clients-edge", PolicySemantic.AnyOf, ["#clients"], ["#edge"]);
        var edgeOnly = await ControllerClient.GetSessionAsync(alice);
        _overlay.Controller.Administration.RevokeRouter("edge-1");
        var none = await ControllerClient.GetSessionAsync(alice);

        Assert.Equal(["core-1 127.0.0.1:40002", "edge-1 127.0.0.1:40001"], everything.Routers.Select(r => $"{r.Name} {r.Address}"));
        Assert.Equal(["edge-1"], edgeOnly.Routers.Select(r => r.Name));
        Assert.Equal(["edge"], edgeOnly.Routers[0].Roles);
        Assert.Empty(none.Routers);
    }

    private async Task<OverlayRouterIdentity> EnrollRouterAsync(string name, string address, params string[] roles)
    {
        _overlay.Controller.Administration.CreateRouter(name, roles);
        return await EnrollmentClient.EnrollRouterAsync(_overlay.Controller.Administration.CreateRouterEnrollmentToken(name), _overlay.PathFor(name + ".json"), address);
    }
}
