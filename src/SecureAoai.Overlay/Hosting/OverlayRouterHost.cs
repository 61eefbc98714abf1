using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay;

/// <summary>
/// Runs an overlay router in this process: one TCP port, mutual TLS, every party connecting out to it.
/// An enrolled router (<see cref="OverlayRouterHostOptions.IdentityFile"/>) holds only its own identity
/// and asks its controller over mutual TLS who may do what, keeping a snapshot it renews when the
/// controller's state changes; a router beside its controller (<see cref="OverlayRouterHostOptions.Controller"/>)
/// asks it directly. Either way, grants are signed by the controller alone. The same as
/// <c>secureaoai router run</c>.
/// </summary>
/// <example>
/// <code>
/// await using var router = new OverlayRouterHost(new OverlayRouterHostOptions { IdentityFile = "r1.json" });
/// await router.StartAsync(cancellationToken);
/// Console.WriteLine($"router {router.Name} at {router.Address}");
/// </code>
/// </example>
public sealed class OverlayRouterHost : IAsyncDisposable
{
    private readonly OverlayRouterHostOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private OverlayRouter? _router;
    private RemoteRouterAuthority? _remote;
    private ControllerAuthority? _local;
    private X509Certificate2? _certificate;
    private OverlayRouterIdentity? _identity;
    private int _disposed;

    /// <summary>Creates the host; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The router's identity or controller, address and limits; checked when the host starts.</param>
    /// <param name="loggerFactory">Where to log; nothing when <see langword="null"/>.</param>
    public OverlayRouterHost(OverlayRouterHostOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>Gets the router's name among the controller's routers.</summary>
    /// <exception cref="InvalidOperationException">The host is not started.</exception>
    public string Name { get; private set; } = string.Empty;

    /// <summary>Gets where identities reach the router, <c>HOST:PORT</c>: the address it enrolled for, or for a router beside its controller, its host with the real port.</summary>
    /// <exception cref="InvalidOperationException">The host is not started.</exception>
    public string Address { get; private set; } = string.Empty;

    /// <summary>Gets the local address the router listens on, with the real port when 0 was asked for.</summary>
    /// <exception cref="InvalidOperationException">The host is not started.</exception>
    public IPEndPoint EndPoint => Router.LocalEndPoint;

    /// <summary>Gets the router itself, for tests that watch what it holds.</summary>
    internal OverlayRouter Router => _router ?? throw new InvalidOperationException("The router host is not started; call StartAsync first.");

    /// <summary>Gets who answers the router's questions, for tests.</summary>
    internal IRouterAuthority Authority { get; private set; } = null!;

    /// <summary>
    /// Loads the router's identity (or asks its controller in this process for a certificate), reads who may
    /// use it, and starts listening. An enrolled router does not listen before its controller has answered:
    /// it would know nobody.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the router listens.</returns>
    /// <exception cref="InvalidOperationException">The options name both or neither of an identity file and a controller, or an address is malformed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    /// <exception cref="FileNotFoundException">The identity file does not exist.</exception>
    /// <exception cref="InvalidDataException">The identity file is not a router's, is readable by others, or is damaged.</exception>
    /// <exception cref="IOException">The controller could not be reached or refused this router.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be listened on.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_router is not null)
        {
            throw new InvalidOperationException("The router host is already started.");
        }

        _options.Validate();
        var logger = _loggerFactory.CreateLogger("SecureAoai.Overlay.Router");
        try
        {
            if (_options.IdentityFile is { } file)
            {
                await StartEnrolledAsync(file, logger, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                StartBesideController(_options.Controller!.Controller, logger);
            }
        }
        catch
        {
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the router: its sessions close, and with them every stream it relays.</summary>
    /// <returns>A task that completes when the router is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_router is not null)
        {
            await _router.DisposeAsync().ConfigureAwait(false);
        }

        if (_remote is not null)
        {
            await _remote.DisposeAsync().ConfigureAwait(false);
        }

        _local?.Dispose();
        _certificate?.Dispose();
        _identity?.Dispose();
    }

    private async Task StartEnrolledAsync(string identityFile, ILogger logger, CancellationToken cancellationToken)
    {
        _identity = OverlayRouterIdentity.Load(identityFile);
        var authority = new RemoteRouterAuthority(_identity, _options.ControllerOutageTolerance, _options.TimeProvider, logger);
        _remote = authority;
        Authority = authority;
        await authority.StartAsync(cancellationToken).ConfigureAwait(false);
        var (host, port) = ListenOn(_options.ListenAddress ?? _identity.ListenAddress);
        Listen(authority, _identity.Certificate, new IPEndPoint(HostPort.ListenAddress(host), port), logger);
        Name = _identity.Name;
        Address = _identity.ListenAddress;
    }

    private void StartBesideController(OverlayController controller, ILogger logger)
    {
        var (host, port) = ListenOn(_options.ListenAddress ?? "127.0.0.1:0");
        _certificate = controller.IssueEmbeddedRouterCertificate(_options.Name, [.. _options.Roles], host);
        var authority = new ControllerAuthority(controller, _options.Name);
        _local = authority;
        Authority = authority;
        Listen(authority, _certificate, new IPEndPoint(HostPort.ListenAddress(host), port), logger);
        Name = _options.Name;
        Address = HostPort.Format(host, EndPoint.Port);
        controller.Store.SetRouterAddress(Name, Address);
    }

    /// <summary>The host and port of an address the options or the identity file checked already.</summary>
    private static (string Host, int Port) ListenOn(string address) =>
        HostPort.TryParse(address, out var host, out var port, allowAnyPort: true) ? (host, port) : throw new InvalidDataException($"'{address}' is not HOST:PORT.");

    private void Listen(IRouterAuthority authority, X509Certificate2 certificate, IPEndPoint endPoint, ILogger logger)
    {
        var router = new OverlayRouter(authority, certificate, _options.Router, logger);
        _router = router;
        router.Start(endPoint);
    }
}
