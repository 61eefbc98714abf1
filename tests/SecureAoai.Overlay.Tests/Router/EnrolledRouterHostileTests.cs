using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// Enrolled routers against parties that misbehave on purpose: an identity that ignores the controller's
/// list of routers, a router that answers at the controller's address (or the controller at a router's),
/// a router's certificate used as an identity, and router enrollment tokens replayed or pointed at another
/// overlay's CA.
/// </summary>
public sealed class EnrolledRouterHostileTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dial_StraightToARouterNoRouterPolicyAdmitsTheIdentityTo_IsRefusedNotAuthorized()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        fixture.Admin.CreateRouterPolicy("servers-edge", PolicySemantic.AnyOf, ["#servers"], ["#edge"]);
        var server = fixture.Context(await fixture.EnrollAsync("server", "servers"));
        await using var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);
        // The controller names no router to this identity; it dials the router's address it learned elsewhere.
        var intruder = fixture.Context(await fixture.EnrollAsync("client", "clients"), fixture.Router.Address);

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => intruder.DialAsync("echo", cancel.Token));

        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task ConnectToController_ARouterAnswersAtTheAddress_IsNotTrustedAsTheController()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fixture.Directory, "ca.pem"));

        // A compromised router's certificate is from the right CA, a server certificate, and issued for its address.
        await Assert.ThrowsAsync<AuthenticationException>(async () =>
        {
            await using var client = await ControllerClient.ConnectAsync(fixture.Router.Address, ControllerClient.TrustOnly(ca), null, cancel.Token);
        });
    }

    [Fact]
    public async Task Dial_TheControllerAnswersAtTheRouterAddress_RefusedAsRouterNotTrusted()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        var client = fixture.Context(await fixture.EnrollAsync("client", "clients"), $"127.0.0.1:{fixture.Controller.EndPoint.Port}");

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));

        Assert.Equal(OverlayDialFailure.RouterNotTrusted, refused.Reason);
        Assert.Contains("not a router's", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_RoutersOwnCertificateUsedAsAnIdentity_SessionRefusedNotAuthorized()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        using var stolen = OverlayRouterIdentity.Load(fixture.RouterIdentityFile);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(fixture.Router.EndPoint, cancel.Token);
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = [stolen.Certificate],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => OverlayTrust.ChainsTo(certificate, stolen.CaCertificate, errors, OverlayCertificateAuthority.ServerAuthOid),
            },
            cancel.Token);
        await using var mux = new MuxSession(ssl, new MuxOptions(), isInitiator: true);
        var run = mux.RunAsync(cancel.Token);

        var refused = await Assert.ThrowsAsync<MuxStreamRejectedException>(() => mux.OpenStreamAsync(Testing.RouterConnection.DialRequest("echo"), cancel.Token).AsTask());

        Assert.Equal(ReasonCode.NotAuthorized, refused.Code);
        await run.WaitAsync(cancel.Token);
    }

    [Fact]
    public async Task AskControllerForASession_WithARoutersCertificate_IsForbidden()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        using var router = OverlayRouterIdentity.Load(fixture.RouterIdentityFile);
        await using var client = await ControllerClient.ConnectAsync(router.ControllerAddress, ControllerClient.TrustOnly(router.CaCertificate), router.Certificate, cancel.Token);

        var answer = await client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.SessionOp }, cancel.Token);

        Assert.NotEqual(true, answer["ok"]?.GetValue<bool>());
        Assert.Null(answer["routers"]);
    }

    [Fact]
    public async Task EnrollRouter_TokenUsedTwice_SecondIsRefusedAndWritesNothing()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        fixture.Admin.CreateRouter("r2", ["edge"]);
        var jwt = fixture.Admin.CreateRouterEnrollmentToken("r2");
        using var first = await EnrollmentClient.EnrollRouterAsync(jwt, Path.Combine(fixture.RouterDirectory, "r2.json"), "127.0.0.1:40102");
        var second = Path.Combine(fixture.RouterDirectory, "r2-again.json");

        var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollRouterAsync(jwt, second, "127.0.0.1:40103"));

        Assert.Equal(OverlayEnrollmentFailure.Refused, ex.Reason);
        Assert.False(File.Exists(second));
    }

    [Fact]
    public async Task EnrollRouter_TokenOfAnotherOverlayNamingThisControllersAddress_IsRefusedBeforeTheTokenIsSent()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        var otherDirectory = Controller.OverlayFixture.NewTempDirectory();
        using (var other = OverlayAdministration.Initialize(otherDirectory, $"127.0.0.1:{fixture.Controller.EndPoint.Port}"))
        {
            other.CreateRouter("r1", ["edge"]);
            var foreign = other.CreateRouterEnrollmentToken("r1");
            var output = Path.Combine(fixture.RouterDirectory, "foreign.json");

            // The token pins the other overlay's CA; the controller at its address chains to this one's.
            var ex = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollRouterAsync(foreign, output, "127.0.0.1:40104"));

            Assert.Equal(OverlayEnrollmentFailure.ControllerUntrusted, ex.Reason);
            Assert.False(File.Exists(output));
            Assert.DoesNotContain(fixture.Admin.ListRouters(), r => r.Name == "r1" && r.Address == "127.0.0.1:40104");
        }

        Directory.Delete(otherDirectory, recursive: true);
    }

    [Fact]
    public async Task Enroll_RouterTokenAsAnIdentityOrIdentityTokenAsARouter_IsRefusedAsTheWrongKind()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        fixture.Admin.CreateRouter("r2", ["edge"]);
        fixture.Admin.CreateIdentity("alice", ["clients"]);

        var asIdentity = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollAsync(fixture.Admin.CreateRouterEnrollmentToken("r2"), Path.Combine(fixture.RouterDirectory, "a.json")));
        var asRouter = await Assert.ThrowsAsync<OverlayEnrollmentException>(() => EnrollmentClient.EnrollRouterAsync(fixture.Admin.CreateEnrollmentToken("alice"), Path.Combine(fixture.RouterDirectory, "b.json"), "127.0.0.1:40105"));

        Assert.Equal(OverlayEnrollmentFailure.WrongTokenKind, asIdentity.Reason);
        Assert.Equal(OverlayEnrollmentFailure.WrongTokenKind, asRouter.Reason);
    }

    [Fact]
    public async Task EnrollOp_RouterTokenSentAsAnIdentitysByHand_IsRefusedAndTheTokenStillEnrollsItsRouter()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        fixture.Admin.CreateRouter("r2", ["edge"]);
        var jwt = fixture.Admin.CreateRouterEnrollmentToken("r2");
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fixture.Directory, "ca.pem"));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=r2", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();

        JsonObject answer;
        await using (var raw = await ControllerClient.ConnectAsync(fixture.Admin.ControllerAddress, ControllerClient.TrustOnly(ca), null, cancel.Token))
        {
            // An identity's client certificate for a router's token: what a client that skips the SDK's check would ask.
            answer = await raw.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.EnrollOp, ["token"] = jwt, ["csr"] = csr }, cancel.Token);
        }

        Assert.NotEqual(true, answer["ok"]?.GetValue<bool>());
        Assert.Null(answer["certificate"]);
        using var router = await EnrollmentClient.EnrollRouterAsync(jwt, Path.Combine(fixture.RouterDirectory, "r2.json"), "127.0.0.1:40106", cancel.Token);
        Assert.Equal("r2", router.Name);
    }
}
