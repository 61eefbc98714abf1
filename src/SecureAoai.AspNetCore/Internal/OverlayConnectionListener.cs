using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>Kestrel's listener for one overlay binding: each accepted dial becomes an <see cref="OverlayConnection"/>.</summary>
internal sealed class OverlayConnectionListener : IConnectionListener
{
    private readonly OverlayListener _listener;
    private readonly OverlayConnectionListenerFactory _owner;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _unbound = new();
    private long _connections;
    private int _disposed;

    public OverlayConnectionListener(OverlayEndPoint endPoint, OverlayListener listener, OverlayConnectionListenerFactory owner, ILogger logger)
    {
        EndPoint = endPoint;
        _listener = listener;
        _owner = owner;
        _logger = logger;
    }

    public EndPoint EndPoint { get; }

    public string Service => _listener.Service;

    public bool IsBound => _listener.IsBound;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
        while (true)
        {
            try
            {
                var stream = await _listener.AcceptAsync(linked.Token).ConfigureAwait(false);
                var id = $"overlay:{Service}:{Interlocked.Increment(ref _connections)}";
                OverlayHostingLog.Accepted(_logger, id, stream.Peer.Name, Service);
                return new OverlayConnection(id, stream, (OverlayEndPoint)EndPoint);
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (OperationCanceledException) when (_unbound.IsCancellationRequested)
            {
                return null;
            }
            catch (IOException ex)
            {
                // One dial went wrong before it became a connection; Kestrel stops accepting for good
                // if AcceptAsync throws, so the listener carries on with the next dial.
                OverlayHostingLog.AcceptFailed(_logger, Service, ex.Message);
            }
        }
    }

    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        // Disposing the overlay listener unbinds at the router; connections already accepted stay open.
        await _unbound.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        OverlayHostingLog.Unbound(_logger, Service);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _unbound.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _owner.ReleaseAsync(this).ConfigureAwait(false);
        _unbound.Dispose();
    }
}
