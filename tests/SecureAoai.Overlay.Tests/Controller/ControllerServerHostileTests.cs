using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>
/// The controller's network API before authentication, against callers that hold connections open:
/// slow connections from one source, a client without a certificate that keeps asking, and an
/// authenticated client that keeps one connection alive past the whole-connection deadline.
/// </summary>
public sealed class ControllerServerHostileTests
{
    // Linux routes all of 127.0.0.0/8 to the loopback interface: a second source address on this machine.
    private static readonly IPAddress AttackerAddress = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Enroll_While300SlowConnectionsFromOneSourceAreHeldOpen_Succeeds()
    {
        await using var overlay = OverlayFixture.Start();
        overlay.Controller.Administration.CreateIdentity("newcomer", ["clients"]);
        var port = int.Parse(overlay.Controller.ControllerAddress.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var slow = new List<Socket>();
        try
        {
            // Each connects and never says a word: not even the TLS hello.
            for (var i = 0; i < 300; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                slow.Add(socket);
                socket.Bind(new IPEndPoint(AttackerAddress, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            }

            using var identity = await EnrollmentClient.EnrollAsync(overlay.Controller.Administration.CreateEnrollmentToken("newcomer"), overlay.PathFor("newcomer.json"))
                .WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal("newcomer", identity.Name);
        }
        finally
        {
            foreach (var socket in slow)
            {
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task ConnectionWithoutClientCertificate_AfterTwoRequests_IsClosed()
    {
        await using var overlay = OverlayFixture.Start();
        await using var client = await ControllerClient.ConnectAsync(
            overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(overlay.Controller.CertificateAuthority.Certificate), null, default);

        for (var i = 0; i < OverlayControllerOptions.DefaultMaxRequestsWithoutClientCertificate; i++)
        {
            var answer = await client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.CaOp }, default);
            Assert.True(answer["ok"]!.GetValue<bool>());
        }

        await Assert.ThrowsAsync<IOException>(() => client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.CaOp }, default));
    }

    [Fact]
    public async Task AuthenticatedConnection_KeptBusyPastTheWholeConnectionDeadline_IsClosed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var overlay = OverlayFixture.Start(time);
        overlay.Controller.Administration.CreateIdentity("alice", ["clients"]);
        using var alice = await EnrollmentClient.EnrollAsync(overlay.Controller.Administration.CreateEnrollmentToken("alice"), overlay.PathFor("alice.json"));
        await using var client = await ControllerClient.ConnectAsync(
            overlay.Controller.ControllerAddress, ControllerClient.TrustOnly(alice.CaCertificate), alice.Certificate, default);

        // Each request comes well inside the read timeout, so only the deadline on the whole connection ends it.
        var step = OverlayControllerOptions.DefaultReadTimeout - TimeSpan.FromSeconds(1);
        var elapsed = TimeSpan.Zero;
        while (elapsed < OverlayControllerOptions.DefaultConnectionTimeout)
        {
            var answer = await client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.SessionOp }, default);
            Assert.Equal("alice", answer["name"]!.GetValue<string>());
            time.Advance(step);
            elapsed += step;
        }

        await Assert.ThrowsAsync<IOException>(() => client.RequestAsync(new JsonObject { ["op"] = ControllerProtocol.SessionOp }, default));
    }
}
