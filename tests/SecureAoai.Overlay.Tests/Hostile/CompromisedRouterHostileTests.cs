using System.Net;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Tests.Fabric;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Hostile;

/// <summary>
/// A router that an attacker controls (a genuine router certificate, the real mux protocol) tries to
/// read a dial's plaintext or lie about who is calling. The SDK ends must refuse.
/// </summary>
public sealed class CompromisedRouterHostileTests
{
    private const int BindEndedEvent = 210;
    private static readonly byte[] Secret = "the merger closes on Friday; tell no one"u8.ToArray();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Dial_RouterAnswersWithItsOwnServerCertificate_DialerRefusesBinderNotEntitled()
    {
        // The strongest form: the router also shows the real binder's genuine bind grant.
        await using var overlay = await HostileOverlay.StartAsync();
        var stolenGrant = overlay.Router.GrantFor(GrantKind.Bind, overlay.Server.Certificate, "echo");
        Assert.NotNull(stolenGrant);
        overlay.Router.OnDial = (_, incoming, request) => overlay.Router.TerminateAsBinderAsync(incoming, overlay.RouterCertificate, request.Service, stolenGrant);
        var client = overlay.ContextViaRouter(overlay.Client);

        var error = await Assert.ThrowsAsync<OverlayDialException>(() => DialAndSendSecretAsync(client));

        Assert.Equal(OverlayDialFailure.BinderNotEntitled, error.Reason);
        Assert.Contains("not an identity certificate", error.Message, StringComparison.Ordinal);
        overlay.AssertRouterSawNoSecret(Secret);
    }

    [Theory]
    [InlineData("none", "presented no bind grant")]
    [InlineData("her own dial grant", "is a dial grant, not a bind grant")]
    [InlineData("the binder's bind grant", "issued to another certificate")]
    public async Task Dial_RouterAnswersAsAnIdentityWithDialButNoBindRight_DialerRefusesBinderNotEntitled(string grant, string expected)
    {
        // Mallory is a genuine, enrolled identity that may dial 'echo' but not bind it; the router
        // holds her key (she colludes with it, or the router forwards her the dial) and shows the
        // best grant it can get from the controller.
        await using var overlay = await HostileOverlay.StartAsync();
        var shown = grant switch
        {
            "her own dial grant" => overlay.Router.GrantFor(GrantKind.Dial, overlay.Mallory.Certificate, "echo"),
            "the binder's bind grant" => overlay.Router.GrantFor(GrantKind.Bind, overlay.Server.Certificate, "echo"),
            _ => null,
        };
        Assert.Null(overlay.Router.GrantFor(GrantKind.Bind, overlay.Mallory.Certificate, "echo"));
        overlay.Router.OnDial = (_, incoming, request) => overlay.Router.TerminateAsBinderAsync(incoming, overlay.Mallory.Certificate, request.Service, shown);
        var client = overlay.ContextViaRouter(overlay.Client);

        var error = await Assert.ThrowsAsync<OverlayDialException>(() => DialAndSendSecretAsync(client));

        Assert.Equal(OverlayDialFailure.BinderNotEntitled, error.Reason);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        overlay.AssertRouterSawNoSecret(Secret);
    }

    [Theory]
    [InlineData("client", new[] { "admins" })]
    [InlineData("server", new[] { "admins", "servers" })]
    public async Task Dial_RouterRewritesCallerInMetadata_BinderSeesTheRealCaller(string forgedName, string[] forgedRoles)
    {
        await using var overlay = await HostileOverlay.StartAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var callers = await overlay.ServeEchoViaRouterAsync(cancel.Token);
        var client = overlay.ContextViaRouter(overlay.Client);
        var genuine = Convert.ToBase64String(overlay.Router.GrantFor(GrantKind.Dial, overlay.Client.Certificate, "echo")!);
        var roles = string.Join(',', forgedRoles.Select(r => $"\"{r}\""));
        var forged = $$"""{"op":"dial","service":"echo","caller":"{{forgedName}}","roles":[{{roles}}],"grant":"{{genuine}}"}""";
        overlay.Router.OnDial = (_, incoming, _) => overlay.Router.ForwardAsync(incoming, "server", forged);

        await using var connection = await client.DialAsync("echo", cancel.Token);
        var echoed = await EchoServer.RoundTripAsync(connection, Secret, cancel.Token);

        Assert.Equal(Secret, echoed);
        Assert.Equal("server", connection.Peer.Name);
        Assert.Equal(["servers"], connection.Peer.Roles);
        var caller = Assert.Single(callers);
        Assert.Equal("client", caller.Name);
        Assert.Equal(["clients"], caller.Roles);
        overlay.AssertRouterSawNoSecret(Secret);
    }

    [Theory]
    [InlineData("no grant")]
    [InlineData("another identity's dial grant")]
    [InlineData("a bind grant")]
    public async Task Dial_RouterForwardsWithoutTheDialersOwnGrant_BinderRefusesAndAcceptsNothing(string shown)
    {
        await using var overlay = await HostileOverlay.StartAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var callers = await overlay.ServeEchoViaRouterAsync(cancel.Token);
        var grant = shown switch
        {
            "another identity's dial grant" => overlay.Router.GrantFor(GrantKind.Dial, overlay.Mallory.Certificate, "echo"),
            "a bind grant" => overlay.Router.GrantFor(GrantKind.Bind, overlay.Server.Certificate, "echo"),
            _ => null,
        };
        var metadata = grant is null
            ? """{"op":"dial","service":"echo","caller":"mallory","roles":["clients"]}"""
            : $$"""{"op":"dial","service":"echo","grant":"{{Convert.ToBase64String(grant)}}"}""";
        overlay.Router.OnDial = (_, incoming, _) => overlay.Router.ForwardAsync(incoming, "server", metadata);
        var client = overlay.ContextViaRouter(overlay.Client);

        // Refused before the handshake (no or the wrong kind of grant), or during it: then the dialer,
        // which verified the genuine binder, may finish first and see the reset on its first read.
        var error = await Assert.ThrowsAnyAsync<IOException>(() => DialAndSendSecretAsync(client));

        Assert.True(error is OverlayDialException { Reason: OverlayDialFailure.Refused } || error.Message.Contains("reset the stream", StringComparison.Ordinal), error.ToString());
        Assert.Empty(callers);
        overlay.AssertRouterSawNoSecret(Secret);
    }

    [Fact]
    public async Task Bind_RouterHandsTheBinderAnotherIdentitysBindGrant_BindFailsSayingSo()
    {
        await using var overlay = await HostileOverlay.StartAsync();
        var someoneElses = overlay.Router.GrantFor(GrantKind.Bind, overlay.Server.Certificate, "echo");
        overlay.Router.BindGrantFor = (_, _) => someoneElses;
        var mallory = overlay.ContextViaRouter(overlay.Mallory);

        var error = await Assert.ThrowsAsync<OverlayDialException>(() => mallory.BindAsync("echo").WaitAsync(Timeout));

        Assert.Equal(OverlayDialFailure.Refused, error.Reason);
        Assert.Contains("no valid bind grant", error.Message, StringComparison.Ordinal);
        Assert.Contains("issued to another certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bind_RouterSendsAGrantNobodyAskedFor_BinderEndsThatBindAndLogsWhy()
    {
        await using var overlay = await HostileOverlay.StartAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        var grant = overlay.Router.GrantFor(GrantKind.Bind, overlay.Server.Certificate, "echo")!;
        var binderAnswer = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        overlay.Router.OnBindControl = async control =>
        {
            // A second grant between renewals: the binder asked for nothing, so the bind must end, not be believed.
            await BindControl.WriteGrantAsync(control, grant);
            binderAnswer.TrySetResult(await ReadUntilEndAsync(control));
        };
        var logs = new LogLines();
        await using var server = OverlayContext.Create(overlay.Server, HostileOverlay.ViaRouterOptions(overlay.Router), logs);

        await server.BindAsync("echo", cancel.Token);
        var answer = await binderAnswer.Task.WaitAsync(cancel.Token);
        await Poll.UntilAsync(() => logs.Of(BindEndedEvent).Count >= 3, cancel.Token);

        // The binder resets the control stream (the router's read fails) rather than closing it quietly or reading on.
        Assert.IsAssignableFrom<IOException>(answer);
        Assert.Contains(logs.Lines, l => l.EventId == BindEndedEvent && l.Level == LogLevel.Warning && l.Message.Contains("unasked", StringComparison.Ordinal));

        // It binds again, and the router ends each bind at once: every rebind waits twice as long as the last (50 ms up to 400 ms), no tight loop.
        Assert.Equal([50, 100, 200], logs.DelaysMs(BindEndedEvent).Take(3));
    }

    /// <summary>Reads <paramref name="control"/> until it ends: <see langword="null"/> when closed, else the failure (a reset).</summary>
    private static async Task<Exception?> ReadUntilEndAsync(Stream control)
    {
        var buffer = new byte[256];
        try
        {
            for (var i = 0; i < 10_000 && await control.ReadAsync(buffer) > 0; i++)
            {
            }

            return null;
        }
        catch (IOException ex)
        {
            return ex;
        }
    }

    /// <summary>Dials 'echo' and sends the secret: what a dialer that believed the binder would do.</summary>
    private static async Task DialAndSendSecretAsync(OverlayContext client)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await using var connection = await client.DialAsync("echo", cancel.Token);
        await EchoServer.RoundTripAsync(connection, Secret, cancel.Token);
    }

    /// <summary>
    /// A real controller with 'client' (may dial echo), 'server' (may bind echo) and 'mallory' (may
    /// dial echo, not bind it), and a compromised router holding a genuine router certificate.
    /// </summary>
    private sealed class HostileOverlay : IAsyncDisposable
    {
        private HostileOverlay(FabricFixture fabric, CompromisedRouter router, X509Certificate2 routerCertificate)
        {
            Fabric = fabric;
            Router = router;
            RouterCertificate = routerCertificate;
        }

        public FabricFixture Fabric { get; }

        public CompromisedRouter Router { get; }

        public X509Certificate2 RouterCertificate { get; }

        public OverlayIdentity Client { get; private set; } = null!;

        public OverlayIdentity Server { get; private set; } = null!;

        public OverlayIdentity Mallory { get; private set; } = null!;

        public static async Task<HostileOverlay> StartAsync()
        {
            var fabric = FabricFixture.Start();
            var controller = fabric.Controller;
            controller.Administration.CreateService("echo", ["demo"]);
            controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
            controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
            var certificate = controller.CertificateAuthority.IssueServerCertificate("router", ["localhost"], [IPAddress.Loopback]);
            var router = new CompromisedRouter(certificate, controller.CertificateAuthority.Certificate, (k, t, s) => controller.Authorizer.IssueGrant(k, t, s));
            router.Start();
            var overlay = new HostileOverlay(fabric, router, certificate)
            {
                Client = await fabric.EnrollAsync("client", "clients"),
                Server = await fabric.EnrollAsync("server", "servers"),
                Mallory = await fabric.EnrollAsync("mallory", "clients"),
            };
            return overlay;
        }

        /// <summary>'server' binds 'echo' through the compromised router (which hands it its genuine bind grant) and echoes; returns who called, as the binder saw them.</summary>
        public async Task<IReadOnlyList<OverlayCaller>> ServeEchoViaRouterAsync(CancellationToken cancellationToken)
        {
            var callers = new List<OverlayCaller>();
            var listener = await ContextViaRouter(Server).BindAsync("echo", cancellationToken);
            _ = EchoServer.RunAsync(listener, cancellationToken, connection => { lock (callers) { callers.Add(connection.Peer); } });
            await Router.BoundAsync("server").WaitAsync(cancellationToken);
            return callers;
        }

        public static OverlayContextOptions ViaRouterOptions(CompromisedRouter router) =>
            new() { RouterAddress = router.Address, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) };

        public OverlayContext ContextViaRouter(OverlayIdentity identity) => Fabric.Context(identity, ViaRouterOptions(Router));

        public void AssertRouterSawNoSecret(byte[] secret)
        {
            byte[] seen;
            lock (Router.Seen)
            {
                seen = Router.Seen.ToArray();
            }

            Assert.Equal(-1, seen.AsSpan().IndexOf(secret.AsSpan(0, 16)));
        }

        public async ValueTask DisposeAsync()
        {
            await Fabric.DisposeAsync();
            await Router.DisposeAsync();
            RouterCertificate.Dispose();
        }
    }
}
