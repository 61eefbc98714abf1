using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>Bursts of dials, dials abandoned at once, and binders that never answer cannot unbind a service or hold dials forever.</summary>
public sealed class TerminatorHostileTests
{
    [Fact]
    public async Task Dial_1100ConcurrentDialsToOneBinder_ExtraDialsBusyAndServiceStaysBound()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        var second = fabric.Context(await fabric.EnrollAsync("client2", "clients"));
        OverlayContext[] dialers = [client, second];

        // Every dial that succeeds is held open, so together they are more than one binder's session can carry.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1100).Select(async i =>
        {
            try
            {
                return (Stream: await dialers[i % 2].DialAsync("echo", cancel.Token), Failure: (OverlayDialFailure?)null);
            }
            catch (OverlayDialException ex)
            {
                return (Stream: (OverlayStream?)null, Failure: (OverlayDialFailure?)ex.Reason);
            }
        }));
        var terminatorsDuringBurst = fabric.Router.TerminatorCount("echo");
        foreach (var (stream, _) in outcomes)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
        }

        Assert.Equal(1, terminatorsDuringBurst);
        Assert.All(outcomes.Where(o => o.Failure is not null), o => Assert.Equal(OverlayDialFailure.Busy, o.Failure));
        Assert.Contains(outcomes, o => o.Failure is null);
        await using var ordinary = await DialWhenFreeAsync(client, fabric, cancel.Token);
        Assert.Equal("after the burst"u8.ToArray(), await EchoServer.RoundTripAsync(ordinary, "after the burst"u8.ToArray(), cancel.Token));
    }

    [Fact]
    public async Task Dial_ThousandOpensResetAtOnce_LeakNoBinderStreamAndServiceStaysBound()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        var binderStreamsBefore = Assert.Single(fabric.Router.SessionsOf("server")).ActiveStreamCount;
        var mallory = await fabric.EnrollAsync("mallory", "clients");

        await using (var attacker = await RouterConnection.OpenRawAsync(fabric.Router.LocalEndPoint.Port, mallory, cancel.Token))
        {
            var peer = new RawPeer(attacker.Transport);
            await peer.SendHelloAsync();
            var dial = RouterConnection.DialRequest("echo");
            for (uint i = 0; i < 1000; i++)
            {
                uint id = (2 * i) + 1;
                peer.Write(FrameType.Open, id, dial);
                peer.Write(FrameType.Reset, id, RawPeer.Reason(ReasonCode.None, "never mind"));
                if (i % 50 == 49)
                {
                    await peer.FlushAsync();
                }
            }

            // The Pong comes after the router read every Open and Reset above.
            await peer.SendAsync(FrameType.Ping, 0, [0, 0, 0, 0, 0, 0, 0, 1]);
            await peer.ReceiveUntilAsync(FrameType.Pong, cancel.Token);
            Assert.Equal(1, fabric.Router.TerminatorCount("echo"));
        }

        var binder = Assert.Single(fabric.Router.SessionsOf("server"));
        while (binder.ActiveStreamCount > binderStreamsBefore)
        {
            await Task.Delay(20, cancel.Token);
        }

        Assert.Equal(1, fabric.Router.TerminatorCount("echo"));
        await using var ordinary = await client.DialAsync("echo", cancel.Token);
        Assert.Equal("no leak"u8.ToArray(), await EchoServer.RoundTripAsync(ordinary, "no leak"u8.ToArray(), cancel.Token));
    }

    [Fact]
    public async Task Dial_BinderNeverAnswers_FailsBusyAfterTheOpenTimeoutAndStaysBound()
    {
        var (fabric, client, _) = await FabricFixture.StartEchoAsync(new OverlayRouterOptions { BinderOpenTimeout = TimeSpan.FromMilliseconds(500) });
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var hung = await BindButNeverAnswerAsync(fabric, "hung", cancel.Token);

        var error = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));

        Assert.Equal(OverlayDialFailure.Busy, error.Reason);
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fabric.Router.TerminatorCount("echo"));
    }

    [Fact]
    public async Task Dial_OneBinderHoldsPendingOpens_SmartStrategySendsDialsToTheOtherBinder()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync(new OverlayRouterOptions { BinderOpenTimeout = TimeSpan.FromMinutes(5) });
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var hung = await BindButNeverAnswerAsync(fabric, "hung", cancel.Token);

        // Three dials wait on the only binder, which never answers: they are its load.
        var waiting = Enumerable.Range(0, 3).Select(_ => client.DialAsync("echo", cancel.Token)).ToArray();
        while (fabric.Router.TerminatorLoads("echo").SingleOrDefault(t => t.Binder == "hung").ActiveDials < waiting.Length)
        {
            await Task.Delay(20, cancel.Token);
        }

        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        for (var i = 0; i < 10; i++)
        {
            using var one = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
            one.CancelAfter(TimeSpan.FromSeconds(20));
            await using var stream = await client.DialAsync("echo", one.Token);
            Assert.Equal("served"u8.ToArray(), await EchoServer.RoundTripAsync(stream, "served"u8.ToArray(), one.Token));
        }

        Assert.All(waiting, w => Assert.False(w.IsCompleted));
    }

    /// <summary>An identity that binds <c>echo</c> and then never takes a dial: the router's opens to it wait for an answer that never comes.</summary>
    private static async Task<RouterConnection> BindButNeverAnswerAsync(FabricFixture fabric, string name, CancellationToken cancellationToken)
    {
        var identity = await fabric.EnrollAsync(name, "servers");
        var connection = await RouterConnection.OpenAsync(fabric.Router.LocalEndPoint.Port, identity, cancellationToken: cancellationToken);
        await connection.Mux!.OpenStreamAsync(RouterConnection.BindRequest("echo"), cancellationToken);
        while (fabric.Router.TerminatorLoads("echo").All(t => t.Binder != name))
        {
            await Task.Delay(20, cancellationToken);
        }

        return connection;
    }

    /// <summary>Dials once the binder's session has room again (the streams of a burst are released as their resets cross).</summary>
    private static async Task<OverlayStream> DialWhenFreeAsync(OverlayContext client, FabricFixture fabric, CancellationToken cancellationToken)
    {
        var binder = Assert.Single(fabric.Router.SessionsOf("server"));
        while (binder.ActiveStreamCount > 1)
        {
            await Task.Delay(20, cancellationToken);
        }

        return await client.DialAsync("echo", cancellationToken);
    }
}
