using System.Diagnostics;
using SecureAoai.Overlay.Tests.Fabric;
using SecureAoai.Overlay.Tests.Testing;
using Xunit.Abstractions;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// Three enrolled routers in this process, each a router host of its own asking the controller over
/// mutual TLS: a binder is bound on every one, a dialer picks one and goes through another at once when
/// it is lost, the binder is back on a router that returns, and the controller's changes reach every
/// router. The tests await events (a bind attached, a router's snapshot or revocation); the times they
/// print are measurements for the reader, never asserted.
/// </summary>
public sealed class SeveralRoutersTests(ITestOutputHelper output)
{
    private const int Routers = 3;
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Bind_WithThreeRouters_IsRegisteredOnEveryRouter()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);

        var (client, _, listener) = await fixture.StartEchoBinderAsync(cancel.Token);

        Assert.Equal(Routers, listener.BoundRouterCount);
        for (var i = 0; i < Routers; i++)
        {
            Assert.Equal(1, fixture.RouterAt(i).Router.TerminatorCount("echo"));
        }

        await AssertEchoesAsync(client, cancel.Token);
    }

    [Fact]
    public async Task BindWithMaxBindRouters_OfThree_IsRegisteredOnThatManyAndDialsFindIt()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var server = fixture.Context(await fixture.EnrollAsync("server", "servers"), new OverlayContextOptions { MaxBindRouters = 1 });
        var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);

        Assert.Equal(1, listener.BoundRouterCount);
        Assert.Equal(1, Enumerable.Range(0, Routers).Sum(i => fixture.RouterAt(i).Router.TerminatorCount("echo")));

        // Whichever router a dialer picks first, a router without the binder sends it on to the next.
        for (var i = 0; i < Routers; i++)
        {
            await AssertEchoesAsync(fixture.Context(await fixture.EnrollAsync($"client-{i}", "clients")), cancel.Token);
        }
    }

    [Fact]
    public async Task RouterStopped_WhileStreamsRun_OnlyItsStreamsFailNamingItAndNewDialsGoThroughAnother()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var (client, clientIdentity, _) = await fixture.StartEchoBinderAsync(cancel.Token);

        // Streams through each router (contexts held to one router each), and the several-router client's own.
        var open = new List<SealedOverlayStream>();
        for (var i = 0; i < Routers; i++)
        {
            var pinned = fixture.Context(clientIdentity, fixture.RouterAt(i).Address);
            for (var n = 0; n < 4; n++)
            {
                open.Add((SealedOverlayStream)await pinned.DialAsync("echo", cancel.Token));
            }
        }

        for (var n = 0; n < 4; n++)
        {
            open.Add((SealedOverlayStream)await client.DialAsync("echo", cancel.Token));
        }

        var lost = open[^1].Router;
        var lostIndex = Enumerable.Range(0, Routers).Single(i => fixture.RouterAt(i).Address == lost);
        foreach (var stream in open)
        {
            await stream.WriteAsync("before"u8.ToArray(), cancel.Token);
            Assert.Equal("before"u8.ToArray(), await ReadExactlyAsync(stream, 6, cancel.Token));
        }

        await fixture.StopRouterAsync(lostIndex);

        // The next dial, made at once, goes through another router on its first try.
        var watch = Stopwatch.StartNew();
        await using var fresh = (SealedOverlayStream)await client.DialAsync("echo", cancel.Token);
        output.WriteLine($"first dial after the stop: {watch.Elapsed.TotalMilliseconds:0.#} ms, through {fresh.Router} (lost: {lost})");
        Assert.NotEqual(lost, fresh.Router);
        Assert.Equal("after"u8.ToArray(), await EchoServer.RoundTripAsync(fresh, "after"u8.ToArray(), cancel.Token));

        foreach (var stream in open)
        {
            if (stream.Router == lost)
            {
                var failed = await Assert.ThrowsAnyAsync<IOException>(async () =>
                {
                    await stream.WriteAsync("after"u8.ToArray(), cancel.Token);
                    await ReadExactlyAsync(stream, 5, cancel.Token);
                });
                Assert.Contains(lost, failed.Message, StringComparison.Ordinal);
            }
            else
            {
                await stream.WriteAsync("after"u8.ToArray(), cancel.Token);
                Assert.Equal("after"u8.ToArray(), await ReadExactlyAsync(stream, 5, cancel.Token));
            }

            await stream.DisposeAsync();
        }

        Assert.Equal(4 + 4, open.Count(s => s.Router == lost));
    }

    [Fact]
    public async Task RouterRestarted_AfterAnOutageLongerThanTheBackoffCap_BinderIsBoundOnItAgain()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var server = fixture.Context(await fixture.EnrollAsync("server", "servers"), new OverlayContextOptions());
        var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);
        var address = fixture.RouterAt(1).Address;
        var back = listener.NextAttachAtAsync(address);

        await fixture.StopRouterAsync(1);

        // Long enough for the backoff to have grown to its cap (100 ms doubling to 1 s), so the rebind
        // shows the cap and not a first, short retry. The outage's length is not what is asserted.
        await Task.Delay(TimeSpan.FromSeconds(3), cancel.Token);
        var watch = Stopwatch.StartNew();
        await fixture.StartRouterAsync(1);
        await back.WaitAsync(cancel.Token);
        output.WriteLine($"bound on the returned router {watch.Elapsed.TotalMilliseconds:0.#} ms after it listened again (3 s outage)");

        Assert.Equal(1, fixture.RouterAt(1).Router.TerminatorCount("echo"));
        Assert.Equal(Routers, listener.BoundRouterCount);
        await AssertEchoesAsync(fixture.Context(await fixture.EnrollAsync("client", "clients"), address), cancel.Token);
    }

    [Fact]
    public async Task RevokeIdentity_WithThreeRouters_TakesEffectOnEveryRouter()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var (client, clientIdentity, _) = await fixture.StartEchoBinderAsync(cancel.Token);
        var pinned = Enumerable.Range(0, Routers).Select(i => fixture.Context(clientIdentity, fixture.RouterAt(i).Address));

        // The several-router context dials last, as it did before the helper: its links reconnect in the
        // background once their sessions close, and when it dialed first, once in 6 runs under extra CPU load
        // its refusal came as RouterUnreachable instead of NotAuthorized (not yet explained; the dial was refused).
        await AssertClientShutOutOfEveryRouterAsync(fixture, [.. pinned, client], () => fixture.Admin.RevokeIdentity("client"), cancel.Token);
    }

    [Fact]
    public async Task DeleteDialPolicy_WithThreeRouters_TakesEffectOnEveryRouter()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var contexts = await DialEveryRouterThenDeletePolicyAsync(fixture, "clients-dial", cancel.Token);

        foreach (var context in contexts)
        {
            var refused = await Assert.ThrowsAsync<OverlayDialException>(() => context.DialAsync("echo", cancel.Token));
            Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
        }
    }

    [Fact]
    public async Task DeleteBindPolicy_WithThreeRouters_UnbindsOnEveryRouterAndNoDialReachesTheBinder()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var contexts = await DialEveryRouterThenDeletePolicyAsync(fixture, "servers-bind", cancel.Token);

        // Each router re-checks its binds once it has read the change; the binder's renewal is minutes away.
        // Bounded wait (only a hang guard, the loop ends at the first check that holds): every router drops the terminator.
        for (var i = 0; i < 3000 && Enumerable.Range(0, Routers).Any(r => fixture.RouterAt(r).Router.TerminatorCount("echo") > 0); i++)
        {
            await Task.Delay(10, cancel.Token);
        }

        foreach (var context in contexts)
        {
            var refused = await Assert.ThrowsAsync<OverlayDialException>(() => context.DialAsync("echo", cancel.Token));
            Assert.Equal(OverlayDialFailure.NoTerminator, refused.Reason);
        }

        for (var i = 0; i < Routers; i++)
        {
            Assert.Equal(0, fixture.RouterAt(i).Router.TerminatorCount("echo"));
        }
    }

    [Fact]
    public async Task DeleteBindPolicy_WithThreeRouters_ListenerCountsItselfBoundNowhereBeforeItsRenewal()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        var (_, _, listener) = await fixture.StartEchoBinderAsync(cancel.Token);
        Assert.Equal(Routers, listener.BoundRouterCount);

        fixture.Admin.DeletePolicy("servers-bind");

        // The binder's renewal is 5 minutes away: only each router's reset of the bind can tell it.
        await Poll.UntilAsync(() => !listener.IsBound, cancel.Token);
        Assert.False(listener.IsBound);
        Assert.Equal(0, listener.BoundRouterCount);
    }

    [Fact]
    public async Task DeleteRouterPolicy_WithThreeRouters_ClosesTheLeftOutIdentitysSessionsOnEveryRouter()
    {
        await using var fixture = await EnrolledRouterFixture.StartAsync(routers: Routers);
        using var cancel = new CancellationTokenSource(HangGuard);
        fixture.Admin.CreateRouterPolicy("servers-edge", PolicySemantic.AnyOf, ["#servers"], ["#edge"]);
        fixture.Admin.CreateRouterPolicy("clients-edge", PolicySemantic.AnyOf, ["#clients"], ["#edge"]);
        var (_, clientIdentity, _) = await fixture.StartEchoBinderAsync(cancel.Token);
        var pinned = Enumerable.Range(0, Routers).Select(i => fixture.Context(clientIdentity, fixture.RouterAt(i).Address));

        await AssertClientShutOutOfEveryRouterAsync(fixture, [.. pinned], () => fixture.Admin.DeletePolicy("clients-edge"), cancel.Token);
    }

    /// <summary>
    /// Opens a stream through each of <paramref name="contexts"/> (all the client's), makes
    /// <paramref name="change"/>, waits until every router has closed the client's sessions, then checks
    /// that the streams are gone and that each context's next dial is refused as not authorized.
    /// </summary>
    private static async Task AssertClientShutOutOfEveryRouterAsync(EnrolledRouterFixture fixture, IReadOnlyList<OverlayContext> contexts, Action change, CancellationToken cancellationToken)
    {
        var open = new List<OverlayStream>();
        foreach (var context in contexts)
        {
            open.Add(await context.DialAsync("echo", cancellationToken));
        }

        var shutOut = Enumerable.Range(0, Routers).Select(i => fixture.RevokedOnRouterAsync("client", i)).ToList();
        change();
        await Task.WhenAll(shutOut).WaitAsync(cancellationToken);

        foreach (var stream in open)
        {
            await using (stream)
            {
                await Assert.ThrowsAnyAsync<IOException>(() => EchoServer.RoundTripAsync(stream, "ping"u8.ToArray(), cancellationToken));
            }
        }

        foreach (var context in contexts)
        {
            var refused = await Assert.ThrowsAsync<OverlayDialException>(() => context.DialAsync("echo", cancellationToken));
            Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
        }
    }

    /// <summary>
    /// Starts the echo binder, dials it through a client context pinned to each router, deletes
    /// <paramref name="policy"/> and waits until every router has read the change; returns the pinned
    /// contexts and the several-router one (last, as in the revocation test).
    /// </summary>
    private static async Task<IReadOnlyList<OverlayContext>> DialEveryRouterThenDeletePolicyAsync(EnrolledRouterFixture fixture, string policy, CancellationToken cancellationToken)
    {
        var (client, clientIdentity, _) = await fixture.StartEchoBinderAsync(cancellationToken);
        var pinned = Enumerable.Range(0, Routers).Select(i => fixture.Context(clientIdentity, fixture.RouterAt(i).Address)).ToList();
        foreach (var context in pinned)
        {
            await AssertEchoesAsync(context, cancellationToken);
        }

        fixture.Admin.DeletePolicy(policy);
        await Task.WhenAll(Enumerable.Range(0, Routers).Select(i => fixture.CaughtUpAsync(i, cancellationToken)));
        return [.. pinned, client];
    }

    /// <summary>Dials <c>echo</c> through <paramref name="context"/> and checks a round trip.</summary>
    private static async Task AssertEchoesAsync(OverlayContext context, CancellationToken cancellationToken)
    {
        await using var stream = await context.DialAsync("echo", cancellationToken);
        Assert.Equal("ping"u8.ToArray(), await EchoServer.RoundTripAsync(stream, "ping"u8.ToArray(), cancellationToken));
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }
}
