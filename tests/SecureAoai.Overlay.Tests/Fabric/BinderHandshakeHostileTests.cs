using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>A caller that dials and then never sends its end-to-end hello cannot hold all of a binder's handshake slots.</summary>
public sealed class BinderHandshakeHostileTests
{
    [Fact]
    public async Task Dial_OneCallerOpensManyDialsAndNeverSendsItsHello_AnotherCallerStillDials()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        var mallory = await fabric.EnrollAsync("mallory", "clients");
        await using var attacker = await RouterConnection.OpenAsync(fabric.Router.LocalEndPoint.Port, mallory, cancellationToken: cancel.Token);

        // More silent dials than the binder has handshake slots; each the binder takes waits for a hello that never comes.
        var silent = Enumerable.Range(0, OverlayListener.MaxConcurrentHandshakes + 16)
            .Select(_ => attacker.Mux!.OpenStreamAsync(RouterConnection.DialRequest("echo"), cancel.Token).AsTask())
            .ToArray();
        await Task.WhenAny(silent).WaitAsync(cancel.Token);

        // The binder gives up on a silent caller only after its 15-second handshake timeout; an honest dial must not wait for that.
        using var honestDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        honestDeadline.CancelAfter(TimeSpan.FromSeconds(10));
        await using var honest = await client.DialAsync("echo", honestDeadline.Token);
        Assert.Equal("served"u8.ToArray(), await EchoServer.RoundTripAsync(honest, "served"u8.ToArray(), honestDeadline.Token));
    }
}
