using System.Buffers;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Controller;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>A long-lived bind keeps a valid bind grant by renewing it through the router; one that may no longer bind loses it.</summary>
public sealed class BindGrantRenewalTests
{
    private const int ReconnectFailedEvent = 204;
    private const int BindEndedEvent = 210;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Bind_HeldPastItsFirstGrantsExpiry_RenewsAndDialsStillSucceed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var fabric = FabricFixture.Start(controllerTime: time);
        using var cancel = new CancellationTokenSource(Timeout);
        var (client, server) = await EnrollAsync(fabric, time);
        var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);
        var first = listener.BindGrant.ToArray();

        var renewed = listener.NextGrantAsync();
        time.Advance(GrantIssuer.BindGrantLifetime / 2);
        var second = await renewed.WaitAsync(cancel.Token);
        time.Advance((GrantIssuer.BindGrantLifetime / 2) + GrantVerifier.ClockSkew);
        await using var connection = await client.DialAsync("echo", cancel.Token);
        var echoed = await EchoServer.RoundTripAsync(connection, "still here"u8.ToArray(), cancel.Token);

        Assert.Equal("still here"u8.ToArray(), echoed);
        Assert.Equal(time.GetUtcNow() - GrantIssuer.BindGrantLifetime / 2 - GrantVerifier.ClockSkew, second.IssuedAt, TimeSpan.FromSeconds(1));
        var stale = Assert.Throws<AuthenticationException>(() => new GrantVerifier(fabric.Controller.CertificateAuthority.Certificate, time).Verify(first, GrantKind.Bind, "echo"));
        Assert.Contains("expired", stale.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bind_RightWithdrawn_RouterRenewsNothingAndUnbinds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var overlay = OverlayFixture.Start(time);
        using var cancel = new CancellationTokenSource(Timeout);
        await using var rig = await WithdrawableRouter.StartAsync(overlay);
        await using var server = OverlayContext.Create(rig.Server, new OverlayContextOptions { RouterAddress = $"127.0.0.1:{rig.Router.LocalEndPoint.Port}", TimeProvider = time });
        var listener = await server.BindAsync("echo", cancel.Token);
        Assert.Equal(1, rig.Router.TerminatorCount("echo"));

        rig.Authority.BindWithdrawn = true;
        time.Advance(GrantIssuer.BindGrantLifetime / 2);

        for (var i = 0; i < 3000 && (rig.Router.TerminatorCount("echo") > 0 || listener.IsBound); i++)
        {
            await Task.Delay(10, cancel.Token);
        }

        Assert.Equal(0, rig.Router.TerminatorCount("echo"));
        Assert.False(listener.IsBound);
    }

    [Fact]
    public async Task Bind_RightWithdrawn_RenewalRequestGetsAResetCodedNotAuthorized()
    {
        await using var overlay = OverlayFixture.Start();
        using var cancel = new CancellationTokenSource(Timeout);
        await using var rig = await WithdrawableRouter.StartAsync(overlay);
        await using var connection = await RouterConnection.OpenRawAsync(rig.Router.LocalEndPoint.Port, rig.Server, cancel.Token);
        var binder = await BindRawAsync(connection, cancel.Token);

        rig.Authority.BindWithdrawn = true;
        await binder.SendAsync(FrameType.Data, 1, [BindControl.RenewRequest]);

        var reset = await binder.ReceiveUntilAsync(FrameType.Reset, cancel.Token);
        Assert.NotNull(reset);
        Assert.Equal(ReasonCode.NotAuthorized, FrameReader.ReadReason(new ReadOnlySequence<byte>(reset.Value.Payload)).Code);
    }

    /// <summary>Binds <c>echo</c> over <paramref name="connection"/> as a raw peer and reads the first bind grant on the control stream (stream 1).</summary>
    private static async Task<RawPeer> BindRawAsync(RouterConnection connection, CancellationToken cancellationToken)
    {
        var binder = new RawPeer(connection.Transport);
        await binder.SendHelloAsync();
        await binder.SendAsync(FrameType.Open, 1, RouterConnection.BindRequest("echo"));
        Assert.Equal(1u, (await binder.ReceiveUntilAsync(FrameType.Data, cancellationToken))?.StreamId);
        return binder;
    }

    [Fact]
    public async Task BindPolicyDeleted_InProcessRouter_UnbindsWithoutWaitingForARenewal()
    {
        await using var overlay = OverlayFixture.Start();
        using var cancel = new CancellationTokenSource(Timeout);
        await using var rig = await WithdrawableRouter.StartAsync(overlay);
        await using var connection = await RouterConnection.OpenRawAsync(rig.Router.LocalEndPoint.Port, rig.Server, cancel.Token);
        var binder = await BindRawAsync(connection, cancel.Token);
        Assert.Equal(1, rig.Router.TerminatorCount("echo"));

        // No renewal request: the router must act on the policy change itself.
        overlay.Controller.Administration.DeletePolicy("bind");

        var reset = await binder.ReceiveUntilAsync(FrameType.Reset, cancel.Token);
        Assert.NotNull(reset);
        Assert.Equal(ReasonCode.NotAuthorized, FrameReader.ReadReason(new ReadOnlySequence<byte>(reset.Value.Payload)).Code);
        Assert.Equal(0, rig.Router.TerminatorCount("echo"));
    }

    [Fact]
    public async Task BindPolicyDeleted_ListenerBound_IsBoundDropsBeforeAnyRenewalAndTheLogSaysNotAuthorized()
    {
        await using var binder = await BoundBinder.StartAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        Assert.True(binder.Listener.IsBound);

        binder.Overlay.Controller.Administration.DeletePolicy("bind");

        // The line is logged once the bind is detached; the loop only guards against a hang.
        await Poll.UntilAsync(() => binder.Logs.Of(BindEndedEvent).Count > 0, cancel.Token);
        Assert.False(binder.Listener.IsBound);
        Assert.Equal(0, binder.Listener.BoundRouterCount);
        var line = Assert.Single(binder.Logs.Of(BindEndedEvent));
        Assert.Contains(nameof(ReasonCode.NotAuthorized), line, StringComparison.Ordinal);
        Assert.Contains(binder.Rig.Address, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindPolicyRestored_AfterTheRouterEndedTheBind_ListenerBindsThereAgainByItself()
    {
        await using var binder = await BoundBinder.StartAsync();
        using var cancel = new CancellationTokenSource(Timeout);
        binder.Overlay.Controller.Administration.DeletePolicy("bind");
        await Poll.UntilAsync(() => !binder.Listener.IsBound, cancel.Token);

        var attached = binder.Listener.NextAttachAtAsync(binder.Rig.Address);
        binder.Overlay.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        await attached.WaitAsync(cancel.Token);

        Assert.True(binder.Listener.IsBound);
        Assert.Equal(1, binder.Rig.Router.TerminatorCount("echo"));
    }

    [Fact]
    public async Task BindPolicyDeleted_RouterRefusesEveryRebind_RebindsBackOffDoublingToTheMaximum()
    {
        await using var binder = await BoundBinder.StartAsync();
        using var cancel = new CancellationTokenSource(Timeout);

        binder.Overlay.Controller.Administration.DeletePolicy("bind");
        await Poll.UntilAsync(() => binder.Logs.Of(ReconnectFailedEvent).Count >= 4, cancel.Token);

        // The options give 50 ms doubling to 400 ms: each refused rebind waits twice as long as the last, never less.
        Assert.Equal([100, 200, 400, 400], binder.Logs.DelaysMs(ReconnectFailedEvent).Take(4));
        Assert.All(binder.Logs.Of(ReconnectFailedEvent), line => Assert.Contains("not authorized", line, StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<(OverlayContext Client, OverlayContext Server)> EnrollAsync(FabricFixture fabric, TimeProvider time)
    {
        fabric.Controller.Administration.CreateService("echo", ["demo"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        fabric.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        var options = () => new OverlayContextOptions { TimeProvider = time, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) };
        return (fabric.Context(await fabric.EnrollAsync("client", "clients"), options()), fabric.Context(await fabric.EnrollAsync("server", "servers"), options()));
    }

    /// <summary>
    /// An in-process controller and router, and 'server' bound to 'echo' there with its log lines kept.
    /// The binder's clock is a fake that the tests never move: its first renewal stays 5 minutes away, so
    /// only the router's reset can tell it that its bind ended.
    /// </summary>
    private sealed class BoundBinder : IAsyncDisposable
    {
        private OverlayContext _server = null!;

        public OverlayFixture Overlay { get; private init; } = null!;

        public WithdrawableRouter Rig { get; private set; } = null!;

        public LogLines Logs { get; } = new();

        public OverlayListener Listener { get; private set; } = null!;

        public static async Task<BoundBinder> StartAsync()
        {
            var binder = new BoundBinder { Overlay = OverlayFixture.Start() };
            binder.Rig = await WithdrawableRouter.StartAsync(binder.Overlay);
            binder._server = OverlayContext.Create(binder.Rig.Server, binder.Rig.BinderOptions(new FakeTimeProvider(DateTimeOffset.UtcNow)), binder.Logs);
            using var cancel = new CancellationTokenSource(Timeout);
            binder.Listener = await binder._server.BindAsync("echo", cancel.Token);
            return binder;
        }

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            await Rig.DisposeAsync();
            await Overlay.DisposeAsync();
        }
    }

    /// <summary>A router on <see cref="WithdrawableAuthority"/>, a service 'echo' and an enrolled identity 'server' that may bind it.</summary>
    private sealed class WithdrawableRouter : IAsyncDisposable
    {
        private X509Certificate2 _certificate = null!;

        public OverlayRouter Router { get; private set; } = null!;

        public WithdrawableAuthority Authority { get; private set; } = null!;

        public OverlayIdentity Server { get; private set; } = null!;

        public string Address => $"127.0.0.1:{Router.LocalEndPoint.Port}";

        /// <summary>Options for a binder through this router alone, on <paramref name="time"/>, with fast rebinds.</summary>
        public OverlayContextOptions BinderOptions(TimeProvider time) =>
            new() { RouterAddress = Address, TimeProvider = time, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) };

        public static async Task<WithdrawableRouter> StartAsync(OverlayFixture overlay)
        {
            var rig = new WithdrawableRouter { _certificate = overlay.Controller.IssueEmbeddedRouterCertificate("router", [], "127.0.0.1") };
            rig.Authority = new WithdrawableAuthority(new ControllerAuthority(overlay.Controller, "router"));
            rig.Router = new OverlayRouter(rig.Authority, rig._certificate);
            rig.Router.Start(new IPEndPoint(IPAddress.Loopback, 0));
            overlay.Controller.Administration.CreateService("echo", ["demo"]);
            overlay.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
            overlay.Controller.Administration.CreateIdentity("server", ["servers"]);
            rig.Server = await EnrollmentClient.EnrollAsync(overlay.Controller.Administration.CreateEnrollmentToken("server"), overlay.PathFor("server.json"));
            return rig;
        }

        public async ValueTask DisposeAsync()
        {
            await Router.DisposeAsync();
            Authority.Dispose();
            Server.Dispose();
            _certificate.Dispose();
        }
    }

    /// <summary>The controller's answers, except that bind grants stop once the test withdraws them (as a policy change would).</summary>
    private sealed class WithdrawableAuthority(ControllerAuthority inner) : IRouterAuthority, IDisposable
    {
        public bool BindWithdrawn { get; set; }

        public X509Certificate2 CaCertificate => inner.CaCertificate;

        public event Action<string>? IdentityRevoked
        {
            add => inner.IdentityRevoked += value;
            remove => inner.IdentityRevoked -= value;
        }

        public event Action? StateChanged
        {
            add => inner.StateChanged += value;
            remove => inner.StateChanged -= value;
        }

        public ValueTask<RouterCaller?> AuthenticateAsync(X509Certificate2 certificate, CancellationToken cancellationToken) => inner.AuthenticateAsync(certificate, cancellationToken);

        public bool CanUseRouter(string identity) => inner.CanUseRouter(identity);

        public ValueTask<byte[]?> IssueBindGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) =>
            BindWithdrawn ? ValueTask.FromResult<byte[]?>(null) : inner.IssueBindGrantAsync(caller, service, cancellationToken);

        public ValueTask<byte[]?> IssueDialGrantAsync(RouterCaller caller, string service, CancellationToken cancellationToken) => inner.IssueDialGrantAsync(caller, service, cancellationToken);

        public bool IsRevoked(string identity) => inner.IsRevoked(identity);

        public void Dispose() => inner.Dispose();
    }
}
