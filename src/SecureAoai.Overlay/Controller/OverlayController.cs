using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's parts over one overlay directory (<c>ca.pem</c>, <c>ca.key</c>, <c>overlay.db</c>),
/// each with one job: the <see cref="Store"/> (state), the <see cref="CertificateAuthority"/> and
/// <see cref="Grants"/> (PKI: certificates and grant signatures), the <see cref="Authorizer"/> (who is
/// who, and what they may do), <see cref="Administration"/> (creating, listing, revoking) and
/// <see cref="Enrollment"/> (redeeming tokens). <see cref="StartServer"/> puts them on the network.
/// </summary>
internal sealed class OverlayController : IDisposable
{
    private OverlayController(string directory, OverlayCertificateAuthority authority, OverlayStore store, string controllerAddress, TimeProvider time, ILogger logger)
    {
        Directory = directory;
        CertificateAuthority = authority;
        Store = store;
        ControllerAddress = controllerAddress;
        Time = time;
        Logger = logger;
        Grants = new GrantIssuer(authority, time);
        Authorizer = new OverlayAuthorizer(store, authority, Grants);
        Administration = new OverlayAdministration(directory, controllerAddress, store, authority, time, logger);
        Enrollment = new ControllerEnrollment(store, authority, controllerAddress, time);
    }

    private readonly Lock _stateGate = new();
    private ControllerStateVersion? _state;
    private bool _stateDisposed;

    public string Directory { get; }

    public string ControllerAddress { get; }

    public OverlayCertificateAuthority CertificateAuthority { get; }

    public OverlayStore Store { get; }

    public GrantIssuer Grants { get; }

    public OverlayAuthorizer Authorizer { get; }

    public OverlayAdministration Administration { get; }

    public ControllerEnrollment Enrollment { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>
    /// The version of this controller's state that its server and its in-process routers watch: one per
    /// controller, so a process that runs both asks SQLite once per poll, not once per watcher. Made and
    /// started by the first caller; it polls at the shortest <paramref name="pollInterval"/> asked for,
    /// until the controller is disposed.
    /// </summary>
    internal ControllerStateVersion StateVersion(TimeSpan pollInterval)
    {
        lock (_stateGate)
        {
            ObjectDisposedException.ThrowIf(_stateDisposed, this);
            if (_state is null)
            {
                _state = new ControllerStateVersion(Store, Time, pollInterval);
                _state.Start();
            }
            else
            {
                _state.PollAtLeastEvery(pollInterval);
            }

            return _state;
        }
    }

    /// <summary>Creates a new overlay in <paramref name="directory"/> (CA + database); refuses when one exists there.</summary>
    /// <exception cref="OverlayAdministrationException">The directory holds an overlay, or the address is not <c>HOST:PORT</c>.</exception>
    public static OverlayController Initialize(string directory, string controllerAddress, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!HostPort.TryParse(controllerAddress, out _, out _))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue,
                $"'{controllerAddress}' is not HOST:PORT (for example 127.0.0.1:6262 or controller.example:6262).", nameof(controllerAddress), controllerAddress);
        }

        time ??= TimeProvider.System;
        if (File.Exists(Path.Combine(directory, OverlayStore.FileName)))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.AlreadyInitialized,
                $"An overlay already exists in '{directory}'; refusing to overwrite it. Initialize the new overlay in another directory.", nameof(directory), directory);
        }

        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var authority = OverlayCertificateAuthority.Create(directory, Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)), time);
        var store = OverlayStore.Open(directory, create: true);
        store.SetSetting(OverlayStore.ControllerAddressSetting, controllerAddress);
        return new OverlayController(directory, authority, store, controllerAddress, time, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Opens an overlay created by <see cref="Initialize"/>. With <paramref name="loadCaKey"/> the CA key is
    /// read (and checked) now, as a controller that will sign does at start; otherwise at the first signature.
    /// </summary>
    /// <exception cref="OverlayAdministrationException">The directory holds no overlay.</exception>
    public static OverlayController Open(string directory, TimeProvider? time = null, ILogger? logger = null, bool loadCaKey = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        time ??= TimeProvider.System;
        if (!System.IO.Directory.Exists(directory))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.NotInitialized,
                $"There is no directory '{directory}', so no overlay in it. Initialize an overlay first (OverlayAdministration.Initialize), or open the directory that holds one.", nameof(directory), directory);
        }

        var store = OverlayStore.Open(directory, create: false);
        OverlayCertificateAuthority authority;
        try
        {
            authority = OverlayCertificateAuthority.Load(directory, time, loadCaKey);
        }
        catch
        {
            store.Dispose();
            throw;
        }

        var address = store.GetSetting(OverlayStore.ControllerAddressSetting)
            ?? throw new InvalidDataException($"'{store.Path}' has no controller address; the overlay was not initialized completely.");
        return new OverlayController(directory, authority, store, address, time, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Issues the certificate (with a fresh key) of a router that runs in this process, named
    /// <paramref name="name"/> and serving <paramref name="host"/>, and records it as an embedded router.
    /// Its address is recorded once it listens (<see cref="OverlayStore.SetRouterAddress"/>).
    /// </summary>
    public X509Certificate2 IssueEmbeddedRouterCertificate(string name, IReadOnlyList<string> roles, string host)
    {
        RoleExpressions.ValidateName(name, "router name");
        var normalized = RoleExpressions.NormalizeAttributes(roles);
        var (dns, ips) = ServerNames(host);
        var certificate = CertificateAuthority.IssueServerCertificate(name, dns, ips);
        try
        {
            Store.SaveEmbeddedRouter(name, normalized, certificate.SerialNumber, OverlayCertificateAuthority.ComputeFingerprint(certificate), Time.GetUtcNow());
            return certificate;
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Starts the network API on a listener the caller created (bound or not); the server owns it.
    /// <paramref name="options"/> defaults to <see cref="OverlayControllerOptions"/>' defaults;
    /// <paramref name="accept"/>, when set, replaces the listener's accept (for tests that make it fail).
    /// </summary>
    public ControllerServer StartServer(TcpListener listener, OverlayControllerOptions? options = null, Func<TcpListener, CancellationToken, ValueTask<Socket>>? accept = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var host = HostPort.TryParse(ControllerAddress, out var parsed, out _) ? parsed : "localhost";
        var (dns, ips) = ServerNames(host);
        var certificate = CertificateAuthority.IssueControllerCertificate(dns, ips);
        return ControllerServer.Start(this, listener, certificate, Logger, options, accept);
    }

    public void Dispose()
    {
        ControllerStateVersion? state;
        lock (_stateGate)
        {
            _stateDisposed = true;
            (state, _state) = (_state, null);
        }

        // Its poll ends at once on cancellation; it stops before the store it reads is closed.
        state?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Grants.Dispose();
        Store.Dispose();
        CertificateAuthority.Dispose();
    }

    /// <summary>The names a server certificate for <paramref name="host"/> carries: it, and loopback for local parties.</summary>
    private static (List<string> Dns, List<IPAddress> Ips) ServerNames(string host)
    {
        var dns = new List<string> { "localhost" };
        var ips = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (IPAddress.TryParse(host, out var ip))
        {
            ips.Add(ip);
        }
        else
        {
            dns.Add(host);
        }

        return ([.. dns.Distinct(StringComparer.OrdinalIgnoreCase)], [.. ips.Distinct()]);
    }
}
