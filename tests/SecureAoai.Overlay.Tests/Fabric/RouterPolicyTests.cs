using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>The router enforces the controller's Dial and Bind policies on every dial and bind.</summary>
public sealed class RouterPolicyTests
{
    // Identities: alice #clients; bob #servers; carol #clients #servers.
    // Services: web #web; api #web #internal; admin #admin.
    // Dial "clients-web" AnyOf #clients → #web; Dial "both-internal" AllOf [#clients, #servers] → [#web, #internal] (api only, carol only);
    // Bind "servers-all" AnyOf #servers → #all; Dial "alice-admin" AnyOf @alice → @admin.
    public static TheoryData<string, string, bool, bool> Matrix => new()
    {
        // identity, service, may dial, may bind
        { "alice", "web", true, false },
        { "alice", "api", true, false },
        { "alice", "admin", true, false },
        { "bob", "web", false, true },
        { "bob", "api", false, true },
        { "bob", "admin", false, true },
        { "carol", "web", true, true },
        { "carol", "api", true, true },
        { "carol", "admin", false, true },
    };

    private static async Task<FabricFixture> StartAsync()
    {
        var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("web", ["web"]);
        fabric.Controller.Administration.CreateService("api", ["web", "internal"]);
        fabric.Controller.Administration.CreateService("admin", ["admin"]);
        fabric.Controller.Administration.CreateServicePolicy("clients-web", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#web"]);
        fabric.Controller.Administration.CreateServicePolicy("both-internal", ServicePolicyType.Dial, PolicySemantic.AllOf, ["#clients", "#servers"], ["#web", "#internal"]);
        fabric.Controller.Administration.CreateServicePolicy("servers-all", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#all"]);
        fabric.Controller.Administration.CreateServicePolicy("alice-admin", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["@alice"], ["@admin"]);
        await fabric.EnrollAsync("alice", "clients");
        await fabric.EnrollAsync("bob", "servers");
        await fabric.EnrollAsync("carol", "clients", "servers");
        return fabric;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task DialAndBind_PolicyMatrix_RouterAllowsExactlyThePolicies(string identity, string service, bool mayDial, bool mayBind)
    {
        await using var fabric = await StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        // bob binds everything, so a refused dial is about policy, never a missing binder.
        var binder = fabric.Context(OverlayIdentity.Load(fabric.Overlay.PathFor("bob.json")));
        var listener = await binder.BindAsync(service, cancel.Token);
        _ = EchoServer.RunAsync(listener, cancel.Token);
        var context = fabric.Context(OverlayIdentity.Load(fabric.Overlay.PathFor($"{identity}.json")));

        if (mayDial)
        {
            await using var connection = await context.DialAsync(service, cancel.Token);
            Assert.Equal("ping"u8.ToArray(), await EchoServer.RoundTripAsync(connection, "ping"u8.ToArray(), cancel.Token));
        }
        else
        {
            var refused = await Assert.ThrowsAsync<OverlayDialException>(() => context.DialAsync(service, cancel.Token));
            Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
            Assert.Contains($"may not dial service '{service}'", refused.Message, StringComparison.Ordinal);
        }

        if (identity == "bob")
        {
            return; // bob's bind was the setup above
        }

        if (mayBind)
        {
            await using var own = await context.BindAsync(service, cancel.Token);
            Assert.True(own.IsBound);
        }
        else
        {
            var refused = await Assert.ThrowsAsync<OverlayDialException>(() => context.BindAsync(service, cancel.Token));
            Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
        }
    }
}
