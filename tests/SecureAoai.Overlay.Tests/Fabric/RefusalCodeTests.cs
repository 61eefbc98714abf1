using System.Buffers;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>
/// Every refusal carries its reason code on the wire, and the SDK's <see cref="OverlayDialException.Reason"/>
/// follows the code: the refusals not covered where their feature is tested.
/// </summary>
public sealed class RefusalCodeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Revoke_LiveSession_RouterClosesItWithANotAuthorizedGoAway()
    {
        var (fabric, _, _) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(Timeout);
        var mallory = await fabric.EnrollAsync("mallory", "clients");
        await using var connection = await RouterConnection.OpenRawAsync(fabric.Router.LocalEndPoint.Port, mallory, cancel.Token);
        var peer = new RawPeer(connection.Transport);
        await peer.SendHelloAsync();
        await peer.SendAsync(FrameType.Ping, 0, [0, 0, 0, 0, 0, 0, 0, 1]);
        Assert.NotNull(await peer.ReceiveUntilAsync(FrameType.Pong, cancel.Token));

        fabric.Controller.Administration.RevokeIdentity("mallory");

        var goAway = await peer.ReceiveUntilAsync(FrameType.GoAway, cancel.Token);
        Assert.NotNull(goAway);
        Assert.Equal(ReasonCode.NotAuthorized, FrameReader.ReadReason(new ReadOnlySequence<byte>(goAway.Value.Payload)).Code);
    }

    [Fact]
    public async Task Revoke_OpenOnTheClosedSession_FailsWithTheGoAwaysCode()
    {
        var (fabric, _, _) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(Timeout);
        var mallory = await fabric.EnrollAsync("mallory", "clients");
        await using var connection = await RouterConnection.OpenAsync(fabric.Router.LocalEndPoint.Port, mallory, cancellationToken: cancel.Token);
        await Assert.ThrowsAsync<MuxStreamRejectedException>(() => connection.Mux!.OpenStreamAsync("served"u8.ToArray(), cancel.Token).AsTask());

        fabric.Controller.Administration.RevokeIdentity("mallory");
        await connection.Run.WaitAsync(cancel.Token);

        var refused = await Assert.ThrowsAsync<MuxStreamRejectedException>(() => connection.Mux!.OpenStreamAsync(RouterConnection.DialRequest("echo"), cancel.Token).AsTask());
        Assert.Equal(ReasonCode.NotAuthorized, refused.Code);
    }

    [Fact]
    public async Task Connect_NoRouterPolicyAdmitsTheIdentity_DialFailsNotAuthorized()
    {
        var (fabric, _, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(Timeout);
        fabric.Controller.Administration.CreateRouterPolicy("servers-only", PolicySemantic.AnyOf, ["#servers"], ["#all"]);
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);

        // The controller no longer names the router to this identity, so it connects by address: the
        // router itself must refuse it, with the code.
        var client = fabric.Context(await fabric.EnrollAsync("outsider", "clients"), new OverlayContextOptions { RouterAddress = fabric.RouterAddress });

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));

        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
    }

    [Fact]
    public async Task Dial_BinderHoldsTooManyUnacceptedDials_DialFailsBusy()
    {
        var (fabric, client, _) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(Timeout);
        var busyServer = fabric.Context(await fabric.EnrollAsync("busy-server", "servers"), new OverlayContextOptions { MaxPendingAccepts = 1 });
        await using var listener = await busyServer.BindAsync("echo", cancel.Token);

        // Nobody accepts: the first dial waits in the listener, the second finds it full.
        await using var waiting = await client.DialAsync("echo", cancel.Token);
        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));

        Assert.Equal(OverlayDialFailure.Busy, refused.Reason);
    }
}
