using System.Net;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Controller;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>
/// A whole overlay on loopback: controller (with its network API), a router in front of it, and
/// helpers to create and enroll identities through the real enrollment protocol.
/// </summary>
public sealed class FabricFixture : IAsyncDisposable
{
    private readonly List<OverlayIdentity> _identities = [];
    private readonly List<OverlayContext> _contexts = [];
    private ControllerAuthority _authority;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _routerCertificate;

    private FabricFixture(OverlayFixture overlay, OverlayRouterOptions routerOptions)
    {
        Overlay = overlay;
        RouterOptions = routerOptions;
        _routerCertificate = overlay.Controller.IssueEmbeddedRouterCertificate("router", [], "127.0.0.1");
        _authority = new ControllerAuthority(overlay.Controller, "router");
        Router = new OverlayRouter(_authority, _routerCertificate, routerOptions);
    }

    internal OverlayFixture Overlay { get; }

    internal OverlayController Controller => Overlay.Controller;

    internal OverlayRouter Router { get; private set; }

    internal OverlayRouterOptions RouterOptions { get; }

    public string RouterAddress => $"127.0.0.1:{Router.LocalEndPoint.Port}";

    internal static FabricFixture Start(OverlayRouterOptions? routerOptions = null, TimeProvider? controllerTime = null)
    {
        var fixture = new FabricFixture(OverlayFixture.Start(controllerTime), routerOptions ?? new OverlayRouterOptions());
        fixture.Router.Start(new IPEndPoint(IPAddress.Loopback, 0));
        fixture.Controller.Store.SetRouterAddress("router", fixture.RouterAddress);
        return fixture;
    }

    /// <summary>
    /// A fabric with the service <c>echo</c> (role <c>demo</c>), a Dial policy for <c>#clients</c> and a
    /// Bind policy for <c>#servers</c>, and contexts for the identities <c>client</c> and <c>server</c>.
    /// </summary>
    internal static async Task<(FabricFixture Fabric, OverlayContext Client, OverlayContext Server)> StartEchoAsync(OverlayRouterOptions? routerOptions = null)
    {
        var fabric = Start(routerOptions);
        fabric.Controller.Administration.CreateService("echo", ["demo"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        fabric.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        var client = fabric.Context(await fabric.EnrollAsync("client", "clients"));
        var server = fabric.Context(await fabric.EnrollAsync("server", "servers"));
        return (fabric, client, server);
    }

    /// <summary>Creates an identity, enrolls it over the controller's network API, and returns its file's identity.</summary>
    public async Task<OverlayIdentity> EnrollAsync(string name, params string[] roles)
    {
        Controller.Administration.CreateIdentity(name, roles);
        var jwt = Controller.Administration.CreateEnrollmentToken(name);
        var identity = await EnrollmentClient.EnrollAsync(jwt, Overlay.PathFor($"{name}.json"));
        _identities.Add(identity);
        return identity;
    }

    /// <summary>A context for an enrolled identity, with fast reconnects for tests.</summary>
    public OverlayContext Context(OverlayIdentity identity, OverlayContextOptions? options = null)
    {
        var context = OverlayContext.Create(identity, options ?? new OverlayContextOptions { ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) });
        _contexts.Add(context);
        return context;
    }

    /// <summary>Stops the router and starts a new one on the same port, as a restart would.</summary>
    public async Task RestartRouterAsync()
    {
        var port = Router.LocalEndPoint.Port;
        await Router.DisposeAsync();
        Router = new OverlayRouter(_authority, _routerCertificate, RouterOptions);
        Router.Start(new IPEndPoint(IPAddress.Loopback, port));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }

        await Router.DisposeAsync();
        _authority.Dispose();
        _routerCertificate.Dispose();
        foreach (var identity in _identities)
        {
            identity.Dispose();
        }

        await Overlay.DisposeAsync();
    }
}
