using SecureAoai.Overlay.Tests.Soak;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>
/// The soak at CI size: mutated frames from an authenticated identity, over many live sessions, while
/// honest clients use the same router. The full soak (a million frames, latency and memory) is
/// <c>dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- soak</c>.
/// </summary>
public sealed class RouterSoakHostileTests
{
    private const long Frames = 20_000;
    private const int FramesPerConnection = 64;

    [Fact]
    public async Task Router_20000MutatedFramesAmongHonestClients_HonestClientsServedAndEveryAttackerDisconnected()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        var second = fabric.Context(await fabric.EnrollAsync("client2", "clients"));
        var mallory = await fabric.EnrollAsync("mallory", "clients");

        var honest = EchoLoad.Start([client, second], "echo", messageBytes: 1024, cancel.Token);
        await honest.Ready.WaitAsync(cancel.Token);
        var attack = await MutatedFrameAttack.RunAsync(fabric.Router.LocalEndPoint.Port, mallory, "echo", Frames, FramesPerConnection, concurrency: 4, seed: 20261123, fabric.RouterOptions.Mux.MaxFramePayloadBytes, cancel.Token);
        await honest.StopAsync();
        var served = honest.ReportOf();

        Assert.True(attack.Connections * (long)FramesPerConnection >= Frames, $"only {attack.Connections} connections");
        Assert.True(attack.Frames > Frames / 2, $"only {attack.Frames} frames reached live sessions");
        Assert.Equal(attack.Connections, attack.ClosedByRouter);
        Assert.Equal(0, served.Errors);
        Assert.True(served.RoundTrips > 0);
        Assert.Equal(1, fabric.Router.TerminatorCount("echo"));
        await using var after = await client.DialAsync("echo", cancel.Token);
        Assert.Equal("after the soak"u8.ToArray(), await EchoServer.RoundTripAsync(after, "after the soak"u8.ToArray(), cancel.Token));
    }
}
