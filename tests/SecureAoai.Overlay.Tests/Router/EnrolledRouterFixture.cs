using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Controller;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// An overlay whose router is an enrolled router of its own: the controller (its public host) on a
/// loopback port, and a router host started from a router identity file in a directory of its own,
/// which asks the controller over mutual TLS like a router in another process does. Services: <c>echo</c>
/// (role <c>demo</c>), dialed by <c>#clients</c> and bound by <c>#servers</c>.
/// </summary>
internal sealed class EnrolledRouterFixture : IAsyncDisposable
{
    private readonly List<OverlayIdentity> _identities = [];
    private readonly List<OverlayContext> _contexts = [];
    private readonly TcpListener _controllerPort;

    private EnrolledRouterFixture(string directory, string routerDirectory, OverlayControllerHost controller, TcpListener controllerPort)
    {
        Directory = directory;
        RouterDirectory = routerDirectory;
        Controller = controller;
        _controllerPort = controllerPort;
    }

    /// <summary>The overlay's directory: CA, key, state, identity files.</summary>
    public string Directory { get; }

    /// <summary>The router's own directory: its identity file, nothing else.</summary>
    public string RouterDirectory { get; }

    public OverlayControllerHost Controller { get; private set; }

    public OverlayRouterHost Router { get; private set; } = null!;

    public OverlayAdministration Admin => Controller.Administration;

    public string RouterIdentityFile => Path.Combine(RouterDirectory, "r1.json");

    public static async Task<EnrolledRouterFixture> StartAsync(TimeProvider? routerTime = null, TimeSpan? outageTolerance = null, string[]? routerRoles = null)
    {
        var directory = OverlayFixture.NewTempDirectory();
        var routerDirectory = OverlayFixture.NewTempDirectory();
        System.IO.Directory.CreateDirectory(routerDirectory);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var controller = OverlayController.Initialize(directory, $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        var fixture = new EnrolledRouterFixture(directory, routerDirectory, OverlayControllerHost.Start(controller, listener, new OverlayControllerOptions(), null), listener);
        fixture.Admin.CreateService("echo", ["demo"]);
        fixture.Admin.CreateServicePolicy("clients-dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#demo"]);
        fixture.Admin.CreateServicePolicy("servers-bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#demo"]);
        fixture.Admin.CreateRouter("r1", routerRoles ?? ["edge"]);
        var port = FreePort();
        using (await EnrollmentClient.EnrollRouterAsync(fixture.Admin.CreateRouterEnrollmentToken("r1"), fixture.RouterIdentityFile, $"127.0.0.1:{port}"))
        {
        }

        var options = new OverlayRouterHostOptions { IdentityFile = fixture.RouterIdentityFile, TimeProvider = routerTime ?? TimeProvider.System };
        if (outageTolerance is { } tolerance)
        {
            options.ControllerOutageTolerance = tolerance;
        }

        fixture.Router = new OverlayRouterHost(options);
        await fixture.Router.StartAsync();
        return fixture;
    }

    /// <summary>The router's remote authority: what it learned from the controller.</summary>
    public RemoteRouterAuthority Authority => (RemoteRouterAuthority)Router.Authority;

    /// <summary>Completes when the router has read its next snapshot from the controller (a change took effect on it).</summary>
    public Task<string> NextSnapshotAsync()
    {
        var read = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<string> handler = version => read.TrySetResult(version);
        Authority.SnapshotRead += handler;
        _ = read.Task.ContinueWith(_ => Authority.SnapshotRead -= handler, TaskScheduler.Default);
        return read.Task;
    }

    /// <summary>Completes when the router has been told that <paramref name="name"/> may no longer use it (its sessions close).</summary>
    public Task RevokedOnRouterAsync(string name)
    {
        var revoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<string> handler = gone =>
        {
            if (gone == name)
            {
                revoked.TrySetResult();
            }
        };
        Authority.IdentityRevoked += handler;
        _ = revoked.Task.ContinueWith(_ => Authority.IdentityRevoked -= handler, TaskScheduler.Default);
        return revoked.Task;
    }

    /// <summary>Asks the controller to look at its database now instead of at its next poll (for tests that count on a change, not on the poll's timing).</summary>
    public void NoticeChanges() => Controller.Server.State.Check();

    /// <summary>Creates an identity, enrolls it over the controller's network API, and returns it.</summary>
    public async Task<OverlayIdentity> EnrollAsync(string name, params string[] roles)
    {
        Admin.CreateIdentity(name, roles);
        var identity = await EnrollmentClient.EnrollAsync(Admin.CreateEnrollmentToken(name), Path.Combine(Directory, name + ".json"));
        _identities.Add(identity);
        return identity;
    }

    /// <summary>Enrolls <c>server</c> (#servers) and <c>client</c> (#clients), binds <c>echo</c> as the server and serves it until <paramref name="cancellationToken"/> fires; returns the client's context.</summary>
    public async Task<(OverlayContext Client, OverlayIdentity ClientIdentity)> StartEchoAsync(CancellationToken cancellationToken)
    {
        var server = Context(await EnrollAsync("server", "servers"));
        var clientIdentity = await EnrollAsync("client", "clients");
        _ = Fabric.EchoServer.RunAsync(await server.BindAsync("echo", cancellationToken), cancellationToken);
        return (Context(clientIdentity), clientIdentity);
    }

    /// <summary>A context that finds the router from the controller, with fast reconnects.</summary>
    public OverlayContext Context(OverlayIdentity identity, string? routerAddress = null)
    {
        var context = OverlayContext.Create(identity, new OverlayContextOptions { RouterAddress = routerAddress, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) });
        _contexts.Add(context);
        return context;
    }

    /// <summary>Stops the controller, as a crash or a network cut would make it unreachable.</summary>
    public async Task StopControllerAsync() => await Controller.DisposeAsync();

    /// <summary>Starts the controller again on the same directory and port, as a restart would.</summary>
    public async Task RestartControllerAsync()
    {
        var address = Controller.EndPoint;
        var restarted = new OverlayControllerHost(new OverlayControllerOptions { Directory = Directory, ListenAddress = $"127.0.0.1:{address.Port}" });
        await restarted.StartAsync();
        Controller = restarted;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }

        await Router.DisposeAsync();
        await Controller.DisposeAsync();
        _controllerPort.Stop();
        foreach (var identity in _identities)
        {
            identity.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.Delete(RouterDirectory, recursive: true);
    }

    /// <summary>A port that was free a moment ago, for the address a router enrolls for before it listens.</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
