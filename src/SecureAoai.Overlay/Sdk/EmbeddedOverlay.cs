using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>
/// A whole overlay in this process: a controller (CA, state, enrollment API) and one or more routers
/// beside it, for a quick start, a demo or a test. The same as <c>secureaoai overlay init</c> plus
/// <c>secureaoai router run --dir</c>, without the command line.
/// </summary>
/// <example>
/// <code>
/// await using var overlay = await EmbeddedOverlay.StartAsync(new EmbeddedOverlayOptions { Directory = folder });
/// overlay.CreateService("chatapp", "webapps");
/// overlay.AllowBind("apps-bind", ["#apps"], ["#webapps"]);
/// overlay.AllowDial("browsers-dial", ["#browsers"], ["#webapps"]);
/// using var app = await overlay.EnrollAsync("chatapp", "apps");
/// </code>
/// </example>
public sealed class EmbeddedOverlay : IAsyncDisposable
{
    private readonly OverlayControllerHost _controller;
    private readonly List<OverlayRouterHost> _routers;

    private EmbeddedOverlay(string directory, OverlayControllerHost controller, List<OverlayRouterHost> routers)
    {
        Directory = directory;
        _controller = controller;
        _routers = routers;
    }

    /// <summary>Gets the overlay's folder: its CA, its state and the identity files enrolled into it.</summary>
    public string Directory { get; }

    /// <summary>Gets the administration of the overlay: identities, routers, services, policies. The overlay owns it.</summary>
    public OverlayAdministration Administration => _controller.Administration;

    /// <summary>Gets the controller's address, <c>HOST:PORT</c>.</summary>
    public string ControllerAddress => Controller.ControllerAddress;

    /// <summary>Gets the first router's address, <c>HOST:PORT</c>.</summary>
    public string RouterAddress => _routers[0].Address;

    /// <summary>Gets every router's address, in the order of <see cref="EmbeddedOverlayOptions.RouterAddresses"/>.</summary>
    public IReadOnlyList<string> RouterAddresses => [.. _routers.Select(r => r.Address)];

    /// <summary>Gets the controller's parts, for code in this repository that needs more than the facade (benchmarks, tests).</summary>
    internal OverlayController Controller => _controller.Controller;

    /// <summary>Gets the routers, for tests.</summary>
    internal IReadOnlyList<OverlayRouterHost> Routers => _routers;

    /// <summary>Creates a new overlay in <paramref name="directory"/> (which must not hold one) and starts its controller and one router on loopback ports.</summary>
    /// <param name="directory">A missing or empty folder; the CA key and identity files written there are readable by the owner only.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running overlay.</returns>
    public static Task<EmbeddedOverlay> StartAsync(string directory, CancellationToken cancellationToken = default) =>
        StartAsync(new EmbeddedOverlayOptions { Directory = directory }, null, cancellationToken);

    /// <summary>Creates a new overlay in <see cref="EmbeddedOverlayOptions.Directory"/> (which must not hold one) and starts its controller and routers.</summary>
    /// <param name="options">Where the state goes, and where the controller and routers listen.</param>
    /// <param name="loggerFactory">Where the controller and routers log; nothing when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running overlay.</returns>
    /// <exception cref="ArgumentException">A required option is missing or an address is malformed.</exception>
    /// <exception cref="OverlayAdministrationException">The directory already holds an overlay.</exception>
    public static async Task<EmbeddedOverlay> StartAsync(EmbeddedOverlayOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            throw new ArgumentException("EmbeddedOverlayOptions.Directory is required: a missing or empty folder for the overlay.", nameof(options));
        }

        if (!HostPort.TryParse(options.ControllerAddress, out var host, out var port, allowAnyPort: true) || !IPAddress.TryParse(host, out var address))
        {
            throw new ArgumentException($"EmbeddedOverlayOptions.ControllerAddress '{options.ControllerAddress}' is not IP:PORT.", nameof(options));
        }

        if (options.RouterAddresses.Count == 0)
        {
            throw new ArgumentException("EmbeddedOverlayOptions.RouterAddresses is empty: an overlay needs at least one router.", nameof(options));
        }

        ArgumentNullException.ThrowIfNull(options.Controller, nameof(options));
        options.Controller.ValidateLimits();

        // The controller's address goes into every enrollment token, so its port is known before the overlay is made.
        var listener = new TcpListener(address, port);
        listener.Start(options.Controller.MaxConnections);
        OverlayControllerHost controller;
        try
        {
            var overlay = OverlayController.Initialize(options.Directory, HostPort.Format(host, ((IPEndPoint)listener.LocalEndpoint).Port),
                options.Controller.TimeProvider, loggerFactory?.CreateLogger("SecureAoai.Overlay.Controller"));
            controller = OverlayControllerHost.Start(overlay, listener, options.Controller, loggerFactory);
        }
        catch
        {
            listener.Stop();
            throw;
        }

        var routers = new List<OverlayRouterHost>();
        try
        {
            for (var i = 0; i < options.RouterAddresses.Count; i++)
            {
                var router = new OverlayRouterHost(
                    new OverlayRouterHostOptions { Controller = controller, Name = $"router-{i + 1}", ListenAddress = options.RouterAddresses[i], Router = options.Router },
                    loggerFactory);
                routers.Add(router);
                await router.StartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            foreach (var router in routers)
            {
                await router.DisposeAsync().ConfigureAwait(false);
            }

            await controller.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new EmbeddedOverlay(options.Directory, controller, routers);
    }

    /// <summary>Creates a service with role attributes (without <c>#</c>).</summary>
    /// <param name="name">The service's name.</param>
    /// <param name="roles">Its role attributes.</param>
    public void CreateService(string name, params string[] roles) => Administration.CreateService(name, roles);

    /// <summary>Creates a Dial policy: identities matching <paramref name="identityRoles"/> may dial services matching <paramref name="serviceRoles"/> (AnyOf).</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="identityRoles">Role expressions: <c>#attr</c>, <c>@name</c>, <c>#all</c>.</param>
    /// <param name="serviceRoles">Role expressions for services.</param>
    public void AllowDial(string name, string[] identityRoles, string[] serviceRoles) =>
        Administration.CreateServicePolicy(name, ServicePolicyType.Dial, PolicySemantic.AnyOf, identityRoles, serviceRoles);

    /// <summary>Creates a Bind policy: identities matching <paramref name="identityRoles"/> may bind services matching <paramref name="serviceRoles"/> (AnyOf).</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="identityRoles">Role expressions: <c>#attr</c>, <c>@name</c>, <c>#all</c>.</param>
    /// <param name="serviceRoles">Role expressions for services.</param>
    public void AllowBind(string name, string[] identityRoles, string[] serviceRoles) =>
        Administration.CreateServicePolicy(name, ServicePolicyType.Bind, PolicySemantic.AnyOf, identityRoles, serviceRoles);

    /// <summary>Creates an identity and enrolls it through the real one-time-token protocol; its file is written to <see cref="Directory"/>.</summary>
    /// <param name="name">The identity's name.</param>
    /// <param name="roles">Its role attributes.</param>
    /// <returns>The enrolled identity (dispose it when done).</returns>
    public Task<OverlayIdentity> EnrollAsync(string name, params string[] roles)
    {
        Administration.CreateIdentity(name, roles);
        return EnrollmentClient.EnrollAsync(Administration.CreateEnrollmentToken(name), Path.Combine(Directory, name + ".json"));
    }

    /// <summary>
    /// Stops one router at once, as a crash would for the identities using it: its sessions close and every
    /// stream through it fails, while the other routers serve on and identities dial through them. It does
    /// not come back; for demonstrations and tests of losing a router.
    /// </summary>
    /// <param name="index">The router's place in <see cref="RouterAddresses"/>, from 0.</param>
    /// <returns>A task that completes when the router is stopped.</returns>
    /// <exception cref="ArgumentOutOfRangeException">No router has that place.</exception>
    public async Task StopRouterAsync(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _routers.Count);
        await _routers[index].DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the routers and the controller.</summary>
    /// <returns>A task that completes when all are stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var router in _routers)
        {
            await router.DisposeAsync().ConfigureAwait(false);
        }

        await _controller.DisposeAsync().ConfigureAwait(false);
    }
}
