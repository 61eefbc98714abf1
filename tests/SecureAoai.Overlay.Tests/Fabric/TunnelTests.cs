using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>OverlayTunnel and OverlayServiceHost: plain TCP in, overlay in the middle, plain TCP out.</summary>
public sealed class TunnelTests
{
    [Fact]
    public async Task Tunnel_TcpClientToTcpServer_BytesCrossTheOverlayAndEverythingStopsCleanly()
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("echo", ["demo"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        fabric.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        var client = fabric.Context(await fabric.EnrollAsync("client", "clients"));
        var server = fabric.Context(await fabric.EnrollAsync("server", "servers"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        // The "app": a TCP echo server on loopback.
        using var app = new TcpListener(IPAddress.Loopback, 0);
        app.Start();
        _ = Task.Run(async () =>
        {
            using var accepted = await app.AcceptTcpClientAsync(cancel.Token);
            var stream = accepted.GetStream();
            var buffer = new byte[1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancel.Token);
            }
        });

        // The tunnel is up before anyone binds the service: a connection then finds no terminator.
        var tunnel = OverlayTunnel.Start(client, "echo", new IPEndPoint(IPAddress.Loopback, 0));
        using (var early = new TcpClient())
        {
            await early.ConnectAsync(tunnel.LocalEndPoint, cancel.Token);
            Assert.Equal(0, await early.GetStream().ReadAsync(new byte[16], cancel.Token));
        }

        var host = await OverlayServiceHost.StartAsync(server, "echo", app.LocalEndpoint, cancellationToken: cancel.Token);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(tunnel.LocalEndPoint, cancel.Token);
            var stream = tcp.GetStream();
            await stream.WriteAsync("through the tunnel"u8.ToArray(), cancel.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cancel.Token);
            Assert.Equal("through the tunnel", System.Text.Encoding.UTF8.GetString(buffer, 0, read));
        }

        // As on Ctrl+C of a whole walkthrough: router, tunnel and host all stop at once.
        var router = fabric.Router.DisposeAsync().AsTask();
        var tunnelSide = Task.Run(async () => { await tunnel.DisposeAsync(); await client.DisposeAsync(); });
        var hostSide = Task.Run(async () => { await host.DisposeAsync(); await server.DisposeAsync(); });
        await router.WaitAsync(TimeSpan.FromSeconds(5));
        await tunnelSide.WaitAsync(TimeSpan.FromSeconds(5));
        await hostSide.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
