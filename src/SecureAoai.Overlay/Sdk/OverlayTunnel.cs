using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay;

/// <summary>
/// A local TCP port whose every connection dials an overlay service: the way a browser or a tool
/// without the SDK reaches a dark app (<c>secureaoai tunnel</c>). Every connection dials as the
/// tunnel's identity, whoever makes it: any local process, and any web page open in a browser on this
/// machine. A web app served through a tunnel must therefore refuse requests naming a host other than
/// the tunnel's address (DNS rebinding) and state-changing requests from other sites; dark ASP.NET Core
/// apps do both by default (<c>OverlayHostingOptions.AllowedHosts</c>, <c>RefuseCrossSiteRequests</c>).
/// </summary>
public sealed class OverlayTunnel : IAsyncDisposable
{
    private readonly IOverlayTransport _transport;
    private readonly TcpListener _listener;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private OverlayTunnel(IOverlayTransport transport, string service, TcpListener listener, ILogger logger)
    {
        _transport = transport;
        Service = service;
        _listener = listener;
        _logger = logger;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The service every connection dials.</summary>
    public string Service { get; }

    /// <summary>The local address the tunnel listens on.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Listens on <paramref name="listen"/> (port 0 picks a free one) and dials <paramref name="service"/> per connection.</summary>
    /// <param name="transport">The overlay to dial on, as its identity (an <see cref="OverlayContext"/>, or another <see cref="IOverlayTransport"/>).</param>
    /// <param name="service">The service to dial.</param>
    /// <param name="listen">The local address; keep it on loopback unless others on the network should reach the service as you.</param>
    /// <param name="logger">Where to log; nothing when <see langword="null"/>.</param>
    /// <returns>The running tunnel.</returns>
    public static OverlayTunnel Start(IOverlayTransport transport, string service, IPEndPoint listen, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(listen);
        var listener = new TcpListener(listen);
        listener.Start();
        return new OverlayTunnel(transport, service, listener, logger ?? NullLogger.Instance);
    }

    /// <summary>Stops listening; connections in progress are closed.</summary>
    /// <returns>A task that completes when the tunnel has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private Task AcceptLoopAsync() =>
        AcceptLoop.RunAsync(_listener, client => _ = ServeAsync(client), $"tunnel to '{Service}'", _logger, TimeProvider.System, _stop.Token);

    private async Task ServeAsync(Socket client)
    {
        try
        {
            var connection = await _transport.DialAsync(Service, _stop.Token).ConfigureAwait(false);
            await StreamPump.RunAsync(connection, client, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OverlayDialException or IOException or OperationCanceledException or SocketException)
        {
            OverlayLog.TunnelFailed(_logger, Service, ex.Message);
            client.Dispose();
        }
    }
}
