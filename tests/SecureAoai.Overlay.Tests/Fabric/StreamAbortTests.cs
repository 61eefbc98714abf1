using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary><see cref="OverlayStream.Abort"/> against a plain dispose, through a real router: the caller can tell a cut-short stream from a complete one.</summary>
public sealed class StreamAbortTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BinderEndsStream_DialerSeesCleanEndOnlyWhenNotAborted(bool abort)
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("feed", ["demo"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        fabric.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        var client = fabric.Context(await fabric.EnrollAsync("client", "clients"));
        var server = fabric.Context(await fabric.EnrollAsync("server", "servers"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var listener = await server.BindAsync("feed", cancel.Token);

        await using var dialed = await client.DialAsync("feed", cancel.Token);
        await using (var accepted = (await listener.AcceptAsync(cancel.Token))!)
        {
            await accepted.WriteAsync("some of it"u8.ToArray(), cancel.Token);
            if (abort)
            {
                accepted.Abort();
            }
        }

        var received = new MemoryStream();
        if (abort)
        {
            await Assert.ThrowsAsync<IOException>(() => dialed.CopyToAsync(received, cancel.Token));
        }
        else
        {
            await dialed.CopyToAsync(received, cancel.Token);
            Assert.Equal("some of it"u8.ToArray(), received.ToArray());
        }
    }
}
