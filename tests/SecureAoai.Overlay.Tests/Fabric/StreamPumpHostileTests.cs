using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>Tunnels and service hosts pass an abort on as an abort: a cut-off transfer never looks like a complete one.</summary>
public sealed class StreamPumpHostileTests
{
    [Fact]
    public async Task Host_AppResetsItsConnectionMidReply_DialerReadFailsInsteadOfEndingCleanly()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var app = new TcpListener(IPAddress.Loopback, 0);
        app.Start();
        // The app resets only once the dial is complete: a reset overtakes bytes still in flight (as a
        // TCP reset does), so one that raced the end-to-end handshake would fail the dial instead.
        var dialed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            using var accepted = await app.AcceptSocketAsync(cancel.Token);
            await dialed.Task.WaitAsync(cancel.Token);
            await accepted.SendAsync("half a rep"u8.ToArray(), cancel.Token);
            ResetAndClose(accepted);
        });
        await using var host = await OverlayServiceHost.StartAsync(server, "echo", app.LocalEndpoint, cancellationToken: cancel.Token);

        await using var stream = await client.DialAsync("echo", cancel.Token);
        dialed.SetResult();

        await Assert.ThrowsAnyAsync<IOException>(() => EchoServer.ReadToEndAsync(stream, cancel.Token));
    }

    [Fact]
    public async Task Tunnel_ClientResetsItsConnectionMidRequest_BinderReadFailsInsteadOfEndingCleanly()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = await server.BindAsync("echo", cancel.Token);
        await using var tunnel = OverlayTunnel.Start(client, "echo", new IPEndPoint(IPAddress.Loopback, 0));

        using (var browser = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await browser.ConnectAsync(tunnel.LocalEndPoint, cancel.Token);
            await browser.SendAsync("POST /upload HTTP/1.1\r\nContent-Length: 1000000\r\n\r\nhalf an upl"u8.ToArray(), cancel.Token);
            await using var call = (await listener.AcceptAsync(cancel.Token))!;
            var first = new byte[16];
            Assert.True(await call.ReadAsync(first, cancel.Token) > 0);
            ResetAndClose(browser);

            await Assert.ThrowsAnyAsync<IOException>(() => EchoServer.ReadToEndAsync(call, cancel.Token));
        }
    }

    [Fact]
    public async Task Tunnel_BinderAbortsTheConnection_TcpClientSeesAResetNotAnEnd()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var listener = await server.BindAsync("echo", cancel.Token);
        await using var tunnel = OverlayTunnel.Start(client, "echo", new IPEndPoint(IPAddress.Loopback, 0));
        using var browser = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await browser.ConnectAsync(tunnel.LocalEndPoint, cancel.Token);
        await browser.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), cancel.Token);

        await using (var call = (await listener.AcceptAsync(cancel.Token))!)
        {
            await call.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"u8.ToArray(), cancel.Token);
            call.Abort();
        }

        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            var buffer = new byte[1024];
            for (var i = 0; i < 1000; i++)
            {
                if (await browser.ReceiveAsync(buffer, cancel.Token) == 0)
                {
                    return;
                }
            }
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    /// <summary>Closes with a TCP reset (linger zero), as a crashing process or a cut connection would.</summary>
    private static void ResetAndClose(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
