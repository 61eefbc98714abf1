using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Soak;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>One identity, or connections that never finish TLS, cannot take all of the router's connection slots.</summary>
public sealed class RouterAdmissionHostileTests
{
    [Fact]
    public async Task Connect_OneIdentityOpensSessionsPastItsCap_ExtrasRefusedBusyAndAnotherIdentityDials()
    {
        // Room for ten sessions: the binder's, and nine mallory tries to take; at most four may be hers.
        var options = new OverlayRouterOptions { MaxSessions = 10, MaxSessionsPerIdentity = 4 };
        var (fabric, client, server) = await FabricFixture.StartEchoAsync(options);
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        var mallory = await fabric.EnrollAsync("mallory", "clients");

        var sessions = new List<RouterConnection>();
        var refusals = new List<MuxStreamRejectedException>();
        try
        {
            for (var i = 0; i < 9; i++)
            {
                var connection = await RouterConnection.OpenAsync(fabric.Router.LocalEndPoint.Port, mallory, cancellationToken: cancel.Token);
                sessions.Add(connection);

                // An answer to a request proves the router serves the session (or refused it) before the next one comes.
                refusals.Add(await Assert.ThrowsAsync<MuxStreamRejectedException>(() => connection.Mux!.OpenStreamAsync("not a request"u8.ToArray(), cancel.Token).AsTask()));
            }

            Assert.Equal(4, refusals.Count(r => r.Code == ReasonCode.Refused));
            Assert.Equal(5, refusals.Count(r => r.Code == ReasonCode.Busy));
            Assert.Contains(refusals, r => r.Reason.Contains("MaxSessionsPerIdentity", StringComparison.Ordinal));
            await using var honest = await client.DialAsync("echo", cancel.Token);
            Assert.Equal("room for me"u8.ToArray(), await EchoServer.RoundTripAsync(honest, "room for me"u8.ToArray(), cancel.Token));
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Connect_MoreStalledTlsHandshakesThanTheCap_ExtraConnectionClosedAtOnceAndSlotsComeBack()
    {
        var options = new OverlayRouterOptions { MaxConcurrentHandshakes = 4, HandshakeTimeout = TimeSpan.FromMinutes(5) };
        var (fabric, client, server) = await FabricFixture.StartEchoAsync(options);
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);

        // Four connections that never send a ClientHello hold every handshake slot.
        var stalled = new List<Socket>();
        for (var i = 0; i < options.MaxConcurrentHandshakes; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, fabric.Router.LocalEndPoint.Port, cancel.Token);
            stalled.Add(socket);
        }

        using (var extra = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await extra.ConnectAsync(IPAddress.Loopback, fabric.Router.LocalEndPoint.Port, cancel.Token);
            using var extraOpen = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
            extraOpen.CancelAfter(TimeSpan.FromSeconds(20));
            Assert.True(await RouterTls.ClosedByPeerAsync(new NetworkStream(extra), extraOpen.Token), "a connection past the handshake cap was left open");
        }

        foreach (var socket in stalled)
        {
            Assert.False(socket.Poll(0, SelectMode.SelectRead), "a connection within the cap was closed");
            socket.Dispose();
        }

        // Their slots come back as they close; an identity then connects and dials.
        OverlayStream? stream = null;
        for (var i = 0; i < 200 && stream is null; i++)
        {
            try
            {
                stream = await client.DialAsync("echo", cancel.Token);
            }
            catch (OverlayDialException ex) when (ex.Reason == OverlayDialFailure.RouterUnreachable)
            {
                await Task.Delay(50, cancel.Token);
            }
        }

        Assert.NotNull(stream);
        await using (stream)
        {
            Assert.Equal("in"u8.ToArray(), await EchoServer.RoundTripAsync(stream, "in"u8.ToArray(), cancel.Token));
        }
    }
}
