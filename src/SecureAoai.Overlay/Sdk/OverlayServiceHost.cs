using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SecureAoai.Overlay;

/// <summary>
/// Binds an overlay service and forwards each dial to a TCP address: the way to put an app that
/// does not use the SDK behind the overlay (<c>secureaoai host</c>). Works on any <see cref="IOverlayTransport"/>.
/// </summary>
public sealed class OverlayServiceHost : IAsyncDisposable
{
    private readonly IOverlayListener _listener;
    private readonly EndPoint _forwardTo;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private OverlayServiceHost(IOverlayListener listener, EndPoint forwardTo, ILogger logger)
    {
        _listener = listener;
        _forwardTo = forwardTo;
        _logger = logger;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The listener of the bound service.</summary>
    public IOverlayListener Listener => _listener;

    /// <summary>Binds <paramref name="service"/> and forwards its dials to <paramref name="forwardTo"/>.</summary>
    /// <param name="transport">The overlay to bind on, as its identity (an <see cref="OverlayContext"/>, or another <see cref="IOverlayTransport"/>).</param>
    /// <param name="service">The service to bind.</param>
    /// <param name="forwardTo">Where each dial is forwarded, such as 127.0.0.1:8080.</param>
    /// <param name="logger">Where to log; nothing when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the bind.</param>
    /// <returns>The running host.</returns>
    public static async Task<OverlayServiceHost> StartAsync(IOverlayTransport transport, string service, EndPoint forwardTo, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(forwardTo);
        var listener = await transport.BindAsync(service, cancellationToken).ConfigureAwait(false);
        return new OverlayServiceHost(listener, forwardTo, logger ?? NullLogger.Instance);
    }

    /// <summary>Unbinds; connections in progress are closed.</summary>
    /// <returns>A task that completes when the host has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            OverlayStream? connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (connection is null)
            {
                return;
            }

            _ = ForwardAsync(connection);
        }
    }

    private async Task ForwardAsync(OverlayStream connection)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_forwardTo, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            OverlayLog.ForwardFailed(_logger, _listener.Service, _forwardTo.ToString() ?? "", ex.Message);
            socket.Dispose();

            // The dialer must see a failure, not an empty reply that ends cleanly.
            connection.Abort();
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await StreamPump.RunAsync(connection, socket, _stop.Token).ConfigureAwait(false);
    }
}
