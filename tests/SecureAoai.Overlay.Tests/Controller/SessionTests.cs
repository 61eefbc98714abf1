using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>The session and authorize operations over mutual TLS on 127.0.0.1.</summary>
public sealed class SessionTests : IAsyncLifetime
{
    private OverlayFixture _overlay = null!;

    public Task InitializeAsync()
    {
        _overlay = OverlayFixture.Start();
        var c = _overlay.Controller;
        c.CreateIdentity("alice", ["clients"]);
        c.CreateService("chat", ["apps"]);
        c.CreateService("docs", ["apps"]);
        c.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#apps"]);
        c.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["@alice"], ["@docs"]);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _overlay.DisposeAsync();

    private async Task<OverlayIdentity> EnrollAliceAsync() =>
        await EnrollmentClient.EnrollAsync(_overlay.Controller.CreateEnrollmentToken("alice"), _overlay.PathFor("alice.json"));

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
        _overlay.Controller.IdentityRevoked += name => revoked = name;

        _overlay.Controller.RevokeIdentity("alice");

        Assert.Equal("alice", revoked);
        Assert.True(_overlay.Controller.IsRevoked(OverlayCertificateAuthority.ComputeFingerprint(alice.Certificate)));
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
    public async Task AuthorizeOp_RouterCertificate_AnswersPerPolicy()
    {
        using var router = _overlay.Controller.IssueServerCertificate("edge-1", ["localhost"], [IPAddress.Loopback]);
        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(_overlay.Controller.CertificateAuthority.Certificate), router, default);

        var dial = await client.RequestAsync(new JsonObject { ["op"] = "authorize", ["identity"] = "alice", ["service"] = "chat", ["action"] = "Dial" }, default);
        var bind = await client.RequestAsync(new JsonObject { ["op"] = "authorize", ["identity"] = "alice", ["service"] = "chat", ["action"] = "Bind" }, default);

        Assert.True(dial["allowed"]!.GetValue<bool>());
        Assert.False(bind["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AuthorizeOp_IdentityCertificate_IsForbidden()
    {
        using var alice = await EnrollAliceAsync();
        await using var client = await ControllerClient.ConnectAsync(_overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(alice.CaCertificate), alice.Certificate, default);

        var response = await client.RequestAsync(new JsonObject { ["op"] = "authorize", ["identity"] = "alice", ["service"] = "chat", ["action"] = "Dial" }, default);

        Assert.Equal("forbidden", response["error"]!.GetValue<string>());
    }
}
