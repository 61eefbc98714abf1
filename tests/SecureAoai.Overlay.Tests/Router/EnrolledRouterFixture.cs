using System.Net;
using System.Net.Sockets;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Controller;

using SecureAoai.Tests.Shared;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// An overlay whose routers are enrolled routers of their own: the controller (its public host) on a
/// loopback port, and one or more router hosts (<c>r1</c>, <c>r2</c>, ...), each started from its router
/// identity file in a directory of its own,
/// which asks the controller over mutual TLS like a router in another process does. Services: <c>echo</c>
/// (role <c>demo</c>), dialed by <c>#clients</c> and bound by <c>#servers</c>.
/// </summary>
internal sealed class EnrolledRouterFixture : IAsyncDisposable
{
    private readonly List<OverlayIdentity> _identities = [];
    private readonly List<OverlayContext> _contexts = [];
    private readonly TcpListener _controllerPort;
    private readonly List<OverlayRouterHost?> _routers = [];
    private TimeProvider _routerTime = TimeProvider.System;
    private TimeSpan? _outageTolerance;

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

    /// <summary>The first router, <c>r1</c>.</summary>
    public OverlayRouterHost Router => RouterAt(0);

    /// <summary>How many routers the overlay has.</summary>
    public int RouterCount => _routers.Count;

    public OverlayAdministration Admin => Controller.Administration;

    public string RouterIdentityFile => RouterIdentityFileOf(0);

    /// <summary>Starts the controller and <paramref name="routers"/> enrolled routers <c>r1</c>..<c>rN</c>, each on a loopback port of its own.</summary>
    public static async Task<EnrolledRouterFixture> StartAsync(TimeProvider? routerTime = null, TimeSpan? outageTolerance = null, string[]? routerRoles = null, int routers = 1)
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
        fixture._routerTime = routerTime ?? TimeProvider.System;
        fixture._outageTolerance = outageTolerance;
        for (var i = 0; i < routers; i++)
        {
            fixture.Admin.CreateRouter($"r{i + 1}", routerRoles ?? ["edge"]);
            using (await EnrollmentClient.EnrollRouterAsync(fixture.Admin.CreateRouterEnrollmentToken($"r{i + 1}"), fixture.RouterIdentityFileOf(i), $"127.0.0.1:{FreePorts.BelowEphemeralRange()}"))
            {
            }

            fixture._routers.Add(null);
            await fixture.StartRouterAsync(i);
        }

        return fixture;
    }

    /// <summary>Router <c>r(index+1)</c>.</summary>
    public OverlayRouterHost RouterAt(int index) => _routers[index] ?? throw new InvalidOperationException($"Router r{index + 1} is stopped.");

    /// <summary>The identity file of router <c>r(index+1)</c>.</summary>
    public string RouterIdentityFileOf(int index) => Path.Combine(RouterDirectory, $"r{index + 1}.json");

    /// <summary>Starts router <c>r(index+1)</c> from its identity file: it listens at the address it enrolled for, as a restart would.</summary>
    public async Task StartRouterAsync(int index)
    {
        var options = new OverlayRouterHostOptions { IdentityFile = RouterIdentityFileOf(index), TimeProvider = _routerTime };
        if (_outageTolerance is { } tolerance)
        {
            options.ControllerOutageTolerance = tolerance;
        }

        var router = new OverlayRouterHost(options);
        await router.StartAsync();
        _routers[index] = router;
    }

    /// <summary>Stops router <c>r(index+1)</c> at once: its sessions close, and every stream it relays with them.</summary>
    public async Task StopRouterAsync(int index)
    {
        var router = RouterAt(index);
        _routers[index] = null;
        await router.DisposeAsync();
    }

    /// <summary>The first router's remote authority: what it learned from the controller.</summary>
    public RemoteRouterAuthority Authority => AuthorityOf(0);

    /// <summary>Router <c>r(index+1)</c>'s remote authority.</summary>
    public RemoteRouterAuthority AuthorityOf(int index) => (RemoteRouterAuthority)RouterAt(index).Authority;

    /// <summary>
    /// Completes when router <c>r(index+1)</c> has read a snapshot at least as new as the controller's
    /// state now: call it after a change. The controller checks its database at once, so the change has
    /// its version; a snapshot read for an earlier change (say, an enrollment the poll noticed late)
    /// does not count, as it would for <see cref="NextSnapshotAsync"/>.
    /// </summary>
    public async Task CaughtUpAsync(int router, CancellationToken cancellationToken)
    {
        var state = Controller.Server.State;
        state.Check();
        var target = ChangeCount(state.Current);
        var authority = AuthorityOf(router);
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<string> handler = version =>
        {
            if (ChangeCount(version) >= target)
            {
                read.TrySetResult();
            }
        };
        authority.SnapshotRead += handler;
        try
        {
            if (ChangeCount(authority.Version) < target)
            {
                await read.Task.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            authority.SnapshotRead -= handler;
        }
    }

    /// <summary>N of a controller state version <c>EPOCH-N</c> (-1 for none yet).</summary>
    private static long ChangeCount(string version) =>
        version.LastIndexOf('-') is var dash and >= 0 && long.TryParse(version.AsSpan(dash + 1), System.Globalization.CultureInfo.InvariantCulture, out var count) ? count : -1;

    /// <summary>Completes when the router has read its next snapshot from the controller (a change took effect on it).</summary>
    public Task<string> NextSnapshotAsync(int router = 0)
    {
        var authority = AuthorityOf(router);
        var read = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<string> handler = version => read.TrySetResult(version);
        authority.SnapshotRead += handler;
        _ = read.Task.ContinueWith(_ => authority.SnapshotRead -= handler, TaskScheduler.Default);
        return read.Task;
    }

    /// <summary>Completes when the router has been told that <paramref name="name"/> may no longer use it (its sessions close).</summary>
    public Task RevokedOnRouterAsync(string name, int router = 0)
    {
        var authority = AuthorityOf(router);
        var revoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<string> handler = gone =>
        {
            if (gone == name)
            {
                revoked.TrySetResult();
            }
        };
        authority.IdentityRevoked += handler;
        _ = revoked.Task.ContinueWith(_ => authority.IdentityRevoked -= handler, TaskScheduler.Default);
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
        var (client, clientIdentity, _) = await StartEchoBinderAsync(cancellationToken);
        return (client, clientIdentity);
    }

    /// <summary>As <see cref="StartEchoAsync"/>, and returns the server's listener too.</summary>
    public async Task<(OverlayContext Client, OverlayIdentity ClientIdentity, OverlayListener Listener)> StartEchoBinderAsync(CancellationToken cancellationToken)
    {
        var server = Context(await EnrollAsync("server", "servers"));
        var clientIdentity = await EnrollAsync("client", "clients");
        var listener = await server.BindAsync("echo", cancellationToken);
        _ = Fabric.EchoServer.RunAsync(listener, cancellationToken);
        return (Context(clientIdentity), clientIdentity, listener);
    }

    /// <summary>A context that finds the routers from the controller (or uses <paramref name="routerAddress"/> alone), with fast reconnects.</summary>
    public OverlayContext Context(OverlayIdentity identity, string? routerAddress = null) =>
        Context(identity, new OverlayContextOptions { RouterAddress = routerAddress, ReconnectMinDelay = TimeSpan.FromMilliseconds(50), ReconnectMaxDelay = TimeSpan.FromMilliseconds(400) });

    /// <summary>A context with <paramref name="options"/>, disposed with the fixture.</summary>
    public OverlayContext Context(OverlayIdentity identity, OverlayContextOptions options)
    {
        var context = OverlayContext.Create(identity, options);
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

        foreach (var router in _routers)
        {
            if (router is not null)
            {
                await router.DisposeAsync();
            }
        }

        await Controller.DisposeAsync();
        _controllerPort.Stop();
        foreach (var identity in _identities)
        {
            identity.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.Delete(RouterDirectory, recursive: true);
    }
}
