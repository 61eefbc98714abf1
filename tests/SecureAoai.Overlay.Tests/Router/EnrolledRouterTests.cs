using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// A router that is an enrolled identity of its own: started from its identity file alone, it relays what
/// the controller's policies allow, and a change made on the controller (a revocation, a policy) takes
/// effect on it without a restart. The changes go through the controller's own poll of its database and the
/// router's watch, as in production; the tests await the router's event, never a clock.
/// </summary>
public sealed class EnrolledRouterTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DialAndBind_RouterStartedFromItsIdentityFileOnly_RelaysWhatTheControllerAllows()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        var server = fixture.Context(await fixture.EnrollAsync("server", "servers"));
        var client = fixture.Context(await fixture.EnrollAsync("client", "clients"));
        var stranger = fixture.Context(await fixture.EnrollAsync("stranger"));
        await using var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);

        await using (var stream = await client.DialAsync("echo", cancel.Token))
        {
            Assert.Equal("ping"u8.ToArray(), await EchoServer.RoundTripAsync(stream, "ping"u8.ToArray(), cancel.Token));
        }

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => stranger.DialAsync("echo", cancel.Token));
        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task RouterDirectory_AfterEnrollingAndServing_HoldsItsIdentityFileAloneWithNoCaKey()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        var server = fixture.Context(await fixture.EnrollAsync("server", "servers"));
        await using var listener = await server.BindAsync("echo", cancel.Token);

        var files = Directory.GetFiles(fixture.RouterDirectory).Select(Path.GetFileName);
        var text = await File.ReadAllTextAsync(fixture.RouterIdentityFile, cancel.Token);
        var caKeyLines = (await File.ReadAllLinesAsync(Path.Combine(fixture.Directory, "ca.key"), cancel.Token)).Where(line => line.Length > 0 && !line.StartsWith("-----", StringComparison.Ordinal)).ToArray();
        using var identity = OverlayRouterIdentity.Load(fixture.RouterIdentityFile);

        Assert.Equal(["r1.json"], files);
        Assert.NotEmpty(caKeyLines);
        Assert.All(caKeyLines, line => Assert.DoesNotContain(line, text, StringComparison.Ordinal));
        Assert.Equal(1, CountOf(text, "PRIVATE KEY-----") / 2);
        Assert.True(identity.Certificate.HasPrivateKey);
        Assert.NotEqual(identity.CaCertificate.GetPublicKeyString(), identity.Certificate.GetPublicKeyString());
    }

    [Fact]
    public async Task RevokeIdentity_WhileItHasASession_RouterClosesItAndRefusesItsNextDial()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        var (client, _) = await fixture.StartEchoAsync(cancel.Token);
        await using var open = await client.DialAsync("echo", cancel.Token);
        var revokedOnRouter = fixture.RevokedOnRouterAsync("client");

        fixture.Admin.RevokeIdentity("client");
        await revokedOnRouter.WaitAsync(cancel.Token);

        await Assert.ThrowsAnyAsync<IOException>(() => EchoServer.RoundTripAsync(open, "ping"u8.ToArray(), cancel.Token));
        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));
        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task DeleteDialPolicy_AfterTheRouterCachedAGrant_NextDialIsRefusedOnceTheRouterRenewedItsSnapshot()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        var (client, _) = await fixture.StartEchoAsync(cancel.Token);
        await using (var first = await client.DialAsync("echo", cancel.Token))
        {
            Assert.Equal("ping"u8.ToArray(), await EchoServer.RoundTripAsync(first, "ping"u8.ToArray(), cancel.Token));
        }

        fixture.Admin.DeletePolicy("clients-dial");
        await fixture.CaughtUpAsync(0, cancel.Token);

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));
        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task CreateRouterPolicy_ThatLeavesAnIdentityOut_RouterClosesItsSessionAndTheControllerNoLongerNamesTheRouter()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync();
        using var cancel = new CancellationTokenSource(HangGuard);
        var (client, clientIdentity) = await fixture.StartEchoAsync(cancel.Token);
        await using var open = await client.DialAsync("echo", cancel.Token);
        var leftOut = fixture.RevokedOnRouterAsync("client");

        fixture.Admin.CreateRouterPolicy("servers-edge", PolicySemantic.AnyOf, ["#servers"], ["#edge"]);
        await leftOut.WaitAsync(cancel.Token);

        await Assert.ThrowsAnyAsync<IOException>(() => EchoServer.RoundTripAsync(open, "ping"u8.ToArray(), cancel.Token));
        var fresh = fixture.Context(clientIdentity);
        var noRouter = await Assert.ThrowsAsync<OverlayDialException>(() => fresh.DialAsync("echo", cancel.Token));
        Assert.Contains("names no router", noRouter.Message, StringComparison.Ordinal);
        await using var stillServed = await fixture.Context(await fixture.EnrollAsync("server-2", "servers", "clients")).DialAsync("echo", cancel.Token);
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
