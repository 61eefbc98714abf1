using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay;

/// <summary>
/// A whole overlay in this process: controller (CA, state, enrollment API) and router, both on
/// loopback, for a quick start, a demo or a test. The same as <c>secureaoai overlay init</c> plus
/// <c>secureaoai router run</c>, without the command line.
/// </summary>
/// <example>
/// <code>
/// await using var overlay = await EmbeddedOverlay.StartAsync(folder);
/// overlay.CreateService("chatapp", "webapps");
/// overlay.AllowBind("apps-bind", ["#apps"], ["#webapps"]);
/// overlay.AllowDial("browsers-dial", ["#browsers"], ["#webapps"]);
/// using var app = await overlay.EnrollAsync("chatapp", "apps");
/// </code>
/// </example>
public sealed class EmbeddedOverlay : IAsyncDisposable
{
    private readonly OverlayController _controller;
    private readonly ControllerServer _server;
    private readonly ControllerAuthority _authority;
    private readonly X509Certificate2 _routerCertificate;
    private readonly OverlayRouter _router;

    private EmbeddedOverlay(string directory, OverlayController controller, ControllerServer server, ControllerAuthority authority, X509Certificate2 routerCertificate, OverlayRouter router)
    {
        Directory = directory;
        _controller = controller;
        _server = server;
        _authority = authority;
        _routerCertificate = routerCertificate;
        _router = router;
    }

    /// <summary>The overlay's folder: its CA, its state and the identity files enrolled into it.</summary>
    public string Directory { get; }

    /// <summary>The controller itself, for code in this repository that needs more than the facade (benchmarks, tests).</summary>
    internal OverlayController Controller => _controller;

    /// <summary>The controller's address, <c>127.0.0.1:PORT</c>.</summary>
    public string ControllerAddress => _controller.ControllerAddress;

    /// <summary>The router's address, <c>127.0.0.1:PORT</c>.</summary>
    public string RouterAddress => $"127.0.0.1:{_router.LocalEndPoint.Port}";

    /// <summary>Creates a new overlay in <paramref name="directory"/> (which must not hold one) and starts its controller and router on loopback ports.</summary>
    /// <param name="directory">An empty or missing folder; the CA key and identity files written there are readable by the owner only.</param>
    /// <param name="logger">Where the router logs; nothing when <see langword="null"/>.</param>
    /// <returns>The running overlay.</returns>
    public static Task<EmbeddedOverlay> StartAsync(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var controller = OverlayController.Initialize(directory, $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var server = controller.StartServer(listener);
        var authority = new ControllerAuthority(controller, "router");
        var certificate = controller.IssueServerCertificate("router", ["localhost"], [IPAddress.Loopback]);
        var router = new OverlayRouter(authority, certificate, logger: logger);
        router.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var overlay = new EmbeddedOverlay(directory, controller, server, authority, certificate, router);
        controller.RegisterRouter(overlay.RouterAddress);
        return Task.FromResult(overlay);
    }

    /// <summary>Creates a service with role attributes (without <c>#</c>).</summary>
    /// <param name="name">The service's name.</param>
    /// <param name="roles">Its role attributes.</param>
    public void CreateService(string name, params string[] roles) => _controller.CreateService(name, roles);

    /// <summary>Creates a Dial policy: identities matching <paramref name="identityRoles"/> may dial services matching <paramref name="serviceRoles"/> (AnyOf).</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="identityRoles">Role expressions: <c>#attr</c>, <c>@name</c>, <c>#all</c>.</param>
    /// <param name="serviceRoles">Role expressions for services.</param>
    public void AllowDial(string name, string[] identityRoles, string[] serviceRoles) =>
        _controller.CreateServicePolicy(name, ServicePolicyType.Dial, PolicySemantic.AnyOf, identityRoles, serviceRoles);

    /// <summary>Creates a Bind policy: identities matching <paramref name="identityRoles"/> may bind services matching <paramref name="serviceRoles"/> (AnyOf).</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="identityRoles">Role expressions: <c>#attr</c>, <c>@name</c>, <c>#all</c>.</param>
    /// <param name="serviceRoles">Role expressions for services.</param>
    public void AllowBind(string name, string[] identityRoles, string[] serviceRoles) =>
        _controller.CreateServicePolicy(name, ServicePolicyType.Bind, PolicySemantic.AnyOf, identityRoles, serviceRoles);

    /// <summary>Creates an identity and enrolls it through the real one-time-token protocol; its file is written to <see cref="Directory"/>.</summary>
    /// <param name="name">The identity's name.</param>
    /// <param name="roles">Its role attributes.</param>
    /// <returns>The enrolled identity (dispose it when done).</returns>
    public Task<OverlayIdentity> EnrollAsync(string name, params string[] roles)
    {
        _controller.CreateIdentity(name, roles);
        return EnrollmentClient.EnrollAsync(_controller.CreateEnrollmentToken(name), Path.Combine(Directory, name + ".json"));
    }

    /// <summary>Stops the router and the controller.</summary>
    /// <returns>A task that completes when both are stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _router.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        _authority.Dispose();
        _routerCertificate.Dispose();
        _controller.Dispose();
    }
}
