using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>
/// Runs an overlay's controller in this process: its CA and state (from
/// <see cref="OverlayControllerOptions.Directory"/>) and its network API, where identities and routers
/// enroll, identities learn their routers, and enrolled routers ask who may do what. The same as
/// <c>secureaoai controller run</c>.
/// </summary>
/// <example>
/// <code>
/// await using var controller = new OverlayControllerHost(new OverlayControllerOptions { Directory = "./overlay" });
/// await controller.StartAsync(cancellationToken);
/// controller.Administration.CreateRouter("r1", ["edge"]);
/// </code>
/// </example>
public sealed class OverlayControllerHost : IAsyncDisposable
{
    private readonly OverlayControllerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private OverlayController? _controller;
    private ControllerServer? _server;
    private int _disposed;

    /// <summary>Creates the host; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The overlay and the limits; checked when the host starts.</param>
    /// <param name="loggerFactory">Where to log; nothing when <see langword="null"/>.</param>
    public OverlayControllerHost(OverlayControllerOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>Gets the address the controller listens on, with the real port when 0 was asked for.</summary>
    /// <exception cref="InvalidOperationException">The host is not started.</exception>
    public IPEndPoint EndPoint => Server.EndPoint;

    /// <summary>Gets the administration of the overlay this controller serves; the host owns it (disposing it does nothing).</summary>
    /// <exception cref="InvalidOperationException">The host is not started.</exception>
    public OverlayAdministration Administration => Controller.Administration;

    /// <summary>Gets the controller's parts, for routers in this process, tests and benchmarks.</summary>
    internal OverlayController Controller => _controller ?? throw NotStarted();

    /// <summary>Gets the network API, for tests.</summary>
    internal ControllerServer Server => _server ?? throw NotStarted();

    /// <summary>Opens the overlay (reading the CA key, so a problem with it shows now) and starts listening.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the controller listens.</returns>
    /// <exception cref="InvalidOperationException">An option is missing or malformed; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    /// <exception cref="OverlayAdministrationException">The directory holds no overlay.</exception>
    /// <exception cref="SocketException">The address cannot be listened on (in use, not this machine's).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_controller is not null)
        {
            throw new InvalidOperationException("The controller host is already started.");
        }

        if (string.IsNullOrWhiteSpace(_options.Directory))
        {
            throw new InvalidOperationException("OverlayControllerOptions.Directory is required: the overlay's directory.");
        }

        if (_options.ListenAddress is { } listen && !HostPort.TryParse(listen, out _, out _, allowAnyPort: true))
        {
            throw new InvalidOperationException($"OverlayControllerOptions.ListenAddress '{listen}' is not HOST:PORT.");
        }

        _options.ValidateLimits();
        var controller = OverlayController.Open(_options.Directory, _options.TimeProvider, _loggerFactory.CreateLogger("SecureAoai.Overlay.Controller"));
        TcpListener? listener = null;
        try
        {
            var (host, port) = ListenOn(_options.ListenAddress ?? controller.ControllerAddress);
            listener = new TcpListener(HostPort.ListenAddress(host), port);
            listener.Start(_options.MaxConnections);
            Attach(controller, listener);
        }
        catch
        {
            listener?.Stop();
            controller.Dispose();
            throw;
        }

        return Task.CompletedTask;
    }

    /// <summary>Stops listening and closes the overlay; open connections end.</summary>
    /// <returns>A task that completes when the controller is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        _controller?.Dispose();
    }

    /// <summary>Serves <paramref name="controller"/> on a listener the caller bound (the embedded overlay binds before it knows its address); the host owns both.</summary>
    internal static OverlayControllerHost Start(OverlayController controller, TcpListener listener, OverlayControllerOptions options, ILoggerFactory? loggerFactory)
    {
        options.ValidateLimits();
        var host = new OverlayControllerHost(options, loggerFactory);
        host.Attach(controller, listener);
        return host;
    }

    private void Attach(OverlayController controller, TcpListener listener)
    {
        _server = controller.StartServer(listener, _options);
        _controller = controller;
    }

    private static (string Host, int Port) ListenOn(string address) =>
        HostPort.TryParse(address, out var host, out var port, allowAnyPort: true) ? (host, port) : throw new InvalidDataException($"The overlay's controller address '{address}' is not HOST:PORT.");

    private static InvalidOperationException NotStarted() => new("The controller host is not started; call StartAsync first.");
}
