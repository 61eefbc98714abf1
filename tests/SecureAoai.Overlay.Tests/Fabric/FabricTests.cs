using System.Collections.Concurrent;
using System.Text;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Controller;
using SecureAoai.Overlay.Tests.Soak;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>Dial and bind through a real router on loopback: encryption, scale, flow control, recovery, revocation.</summary>
public sealed class FabricTests
{
    private static Task<(FabricFixture Fabric, OverlayContext Client, OverlayContext Server)> StartAsync(OverlayRouterOptions? options = null) =>
        FabricFixture.StartEchoAsync(options);

    [Fact]
    public async Task Dial_RouterForwardsOnlyCiphertext()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new MemoryStream();
        fabric.Router.ForwardTap = bytes => { lock (seen) { seen.Write(bytes.Span); } };
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        var secret = Encoding.UTF8.GetBytes("the quarterly numbers are not public yet " + new string('x', 4000));

        await using var connection = await client.DialAsync("echo", cancel.Token);
        var echoed = await EchoServer.RoundTripAsync(connection, secret, cancel.Token);

        Assert.Equal(secret, echoed);
        var forwarded = seen.ToArray();
        Assert.True(forwarded.Length > secret.Length, "the router forwarded the exchange");
        Assert.Equal(-1, forwarded.AsSpan().IndexOf("quarterly numbers"u8));
        Assert.Equal(-1, forwarded.AsSpan().IndexOf(Encoding.UTF8.GetBytes(new string('x', 64))));
    }

    [Fact]
    public async Task Dial_ThousandConcurrentStreams_EachEchoesItsOwnBytes()
    {
        // The binder takes a thousand dials a few at a time; on a loaded machine the last waits longer
        // than the default BinderOpenTimeout, which this test is not about.
        var (fabric, client, server) = await StartAsync(new OverlayRouterOptions { BinderOpenTimeout = TimeSpan.FromMinutes(5) });
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);

        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            var payload = Encoding.UTF8.GetBytes($"stream {i} " + new string((char)('a' + (i % 26)), i % 512));
            await using var connection = await client.DialAsync("echo", cancel.Token);
            return (payload, echoed: await EchoServer.RoundTripAsync(connection, payload, cancel.Token));
        }));

        Assert.All(results, r => Assert.Equal(r.payload, r.echoed));
    }

    [Fact]
    public async Task Dial_BinderNeverReads_RouterBuffersNoMoreThanTheWindows()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = await server.BindAsync("echo", cancel.Token);
        var accepted = new TaskCompletionSource<OverlayStream>();
        _ = Task.Run(async () => accepted.TrySetResult((await listener.AcceptAsync(cancel.Token))!));

        await using var connection = await client.DialAsync("echo", cancel.Token);
        await using var stalled = await accepted.Task.WaitAsync(cancel.Token);
        var chunk = new byte[64 * 1024];
        using var blocked = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        long written = 0;
        try
        {
            for (var i = 0; i < 200; i++)
            {
                await connection.WriteAsync(chunk, blocked.Token);
                written += chunk.Length;
            }
        }
        catch (OperationCanceledException)
        {
        }

        // The writer stalled: what the router took is bounded by the two hops' windows and its pump buffer.
        var window = fabric.RouterOptions.Mux.InitialStreamWindowBytes;
        Assert.True(written < 200L * chunk.Length, "the writer was held back");
        Assert.InRange(fabric.Router.ForwardedBytes, 0, (2L * window) + (64 * 1024));
    }

    [Fact]
    public async Task Dial_NoBinder_FailsAtOnceSayingSo()
    {
        var (fabric, client, _) = await StartAsync();
        await using var fabricScope = fabric;

        var error = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo").WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.Equal(OverlayDialFailure.NoTerminator, error.Reason);
        Assert.Contains("no live binder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dial_TwoBinders_ShareTheLoad()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var second = fabric.Context(await fabric.EnrollAsync("server2", "servers"));
        var counts = new ConcurrentDictionary<string, int>();
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token, _ => counts.AddOrUpdate("server", 1, (_, n) => n + 1));
        _ = EchoServer.RunAsync(await second.BindAsync("echo", cancel.Token), cancel.Token, _ => counts.AddOrUpdate("server2", 1, (_, n) => n + 1));

        // Held open together, so the smart strategy sees the load and spreads it.
        var connections = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.DialAsync("echo", cancel.Token)));
        foreach (var connection in connections)
        {
            await EchoServer.RoundTripAsync(connection, "hi"u8.ToArray(), cancel.Token);
            await connection.DisposeAsync();
        }

        Assert.Equal(20, counts.Values.Sum());
        Assert.InRange(counts.GetValueOrDefault("server"), 5, 15);
    }

    [Fact]
    public async Task Router_Restarted_BinderBindsAgainByItselfAndDialSucceeds()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var listener = await server.BindAsync("echo", cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);
        await using (var before = await client.DialAsync("echo", cancel.Token))
        {
            await EchoServer.RoundTripAsync(before, "before"u8.ToArray(), cancel.Token);
        }

        await fabric.RestartRouterAsync();

        // The binder reconnects with backoff and binds again, with no call from the application. The
        // router counts the terminator as soon as it has sent the bind grant; the listener is bound once
        // it has checked that grant, a moment later: wait for both.
        while (fabric.Router.TerminatorCount("echo") == 0 || !listener.IsBound)
        {
            await Task.Delay(20, cancel.Token);
        }

        Assert.True(listener.IsBound);
        OverlayStream? after = null;
        for (var i = 0; i < 50 && after is null; i++)
        {
            try
            {
                after = await client.DialAsync("echo", cancel.Token);
            }
            catch (OverlayDialException ex) when (ex.Reason == OverlayDialFailure.RouterUnreachable)
            {
                await Task.Delay(20, cancel.Token); // the dialer's old session is still being torn down
            }
        }

        Assert.NotNull(after);
        await using (after)
        {
            Assert.Equal("after"u8.ToArray(), await EchoServer.RoundTripAsync(after, "after"u8.ToArray(), cancel.Token));
        }
    }

    [Fact]
    public async Task Revoke_LiveConnectionsClosedAndNewDialsRefused()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        await using var live = await client.DialAsync("echo", cancel.Token);

        fabric.Controller.Administration.RevokeIdentity("client");

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await live.WriteAsync("still here?"u8.ToArray(), cancel.Token);
                if (await live.ReadAsync(new byte[32], cancel.Token) == 0)
                {
                    throw new IOException("closed");
                }
            }
        });
        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => client.DialAsync("echo", cancel.Token));
        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
        Assert.Contains("revoked", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_CertificateFromAnotherOverlay_Refused()
    {
        var (fabric, _, _) = await StartAsync();
        await using var fabricScope = fabric;
        await using var other = FabricFixture.Start();
        other.Controller.Administration.CreateService("echo", ["demo"]);
        var stranger = await other.EnrollAsync("stranger", "clients");
        var context = fabric.Context(stranger, new OverlayContextOptions { RouterAddress = fabric.RouterAddress, ConnectTimeout = TimeSpan.FromSeconds(3) });

        var error = await Assert.ThrowsAsync<OverlayDialException>(() => context.DialAsync("echo"));

        // To the stranger, a router of another overlay is not a router it trusts.
        Assert.Equal(OverlayDialFailure.RouterNotTrusted, error.Reason);
        Assert.Contains("does not chain to the overlay CA", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, fabric.Router.SessionCount);
    }

    [Fact]
    public async Task Router_MalformedFramesFromOneParty_OnlyThatConnectionCloses()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        using var attacker = OverlayIdentity.Load(fabric.Overlay.PathFor("client.json"));
        var random = new Random(20261123);

        // Authenticated parties sending garbage after the TLS handshake, many times over; each one the router disconnects.
        var closed = 0;
        for (var i = 0; i < 50; i++)
        {
            await using var ssl = await RouterTls.ConnectAsync(fabric.Router.LocalEndPoint.Port, attacker, cancellationToken: cancel.Token);

            // At least a whole frame header, so the router has something to refuse rather than more to wait for.
            var garbage = new byte[random.Next(FrameLimits.HeaderBytes, 4096)];
            random.NextBytes(garbage);
            garbage[0] = 0xEE; // not the protocol version
            try
            {
                await ssl.WriteAsync(garbage, cancel.Token);
                await ssl.FlushAsync(cancel.Token);
            }
            catch (IOException)
            {
                // The router may already have closed on the first bad header.
            }

            if (await RouterTls.ClosedByPeerAsync(ssl, cancel.Token))
            {
                closed++;
            }
        }

        Assert.Equal(50, closed);
        await using var healthy = await client.DialAsync("echo", cancel.Token);
        Assert.Equal("fine"u8.ToArray(), await EchoServer.RoundTripAsync(healthy, "fine"u8.ToArray(), cancel.Token));
    }

    [Fact]
    public async Task Revoke_FromAnotherProcess_SweepClosesLiveConnections()
    {
        var (fabric, client, server) = await StartAsync(new OverlayRouterOptions { RevocationSweepInterval = TimeSpan.FromMilliseconds(100) });
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        await using var live = await client.DialAsync("echo", cancel.Token);

        // What 'secureaoai overlay identity revoke' does from another process: its own controller on the same directory.
        using (var elsewhere = OverlayAdministration.Open(fabric.Overlay.Directory))
        {
            elsewhere.RevokeIdentity("client");
        }

        var reads = 0;
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            for (; reads < 200; reads++)
            {
                await live.WriteAsync("still here?"u8.ToArray(), cancel.Token);
                if (await live.ReadAsync(new byte[32], cancel.Token) == 0)
                {
                    throw new IOException("closed");
                }

                await Task.Delay(20, cancel.Token);
            }
        });
        Assert.True(reads < 200, "the connection was closed by the sweep");
    }

    [Fact]
    public async Task FromIdentityFile_EnrolledFile_DialsAndMissingFileSaysHowToEnroll()
    {
        var (fabric, _, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);

        await using (var fromFile = OverlayContext.FromIdentityFile(fabric.Overlay.PathFor("client.json")))
        await using (var stream = await fromFile.DialAsync("echo", cancel.Token))
        {
            Assert.Equal("file"u8.ToArray(), await EchoServer.RoundTripAsync(stream, "file"u8.ToArray(), cancel.Token));
        }

        var missing = Assert.Throws<FileNotFoundException>(() => OverlayContext.FromIdentityFile(fabric.Overlay.PathFor("nobody.json")));
        Assert.Contains("enroll", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dial_ManyShortDialsInARow_NeverRunOutOfStreams()
    {
        var (fabric, client, server) = await StartAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);

        // More dials than a session may hold streams at once: each must be released when disposed.
        for (var i = 0; i < 2500; i++)
        {
            using var one = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
            one.CancelAfter(TimeSpan.FromSeconds(10));
            OverlayStream stream;
            try
            {
                stream = await client.DialAsync("echo", one.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"dial {i} hung; terminators {fabric.Router.TerminatorCount("echo")}, sessions {fabric.Router.SessionCount}");
                throw;
            }

            await stream.DisposeAsync();
        }
    }
}
