using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay;

/// <summary>
/// The routers a context uses, one <see cref="RouterLink"/> each, and the choice among them: which link
/// a dial goes through, which links a bind is registered on. The routers are
/// <see cref="OverlayContextOptions.RouterAddress"/> when set, else those the controller names, learned
/// on first use. Today the context uses one router, the first; dials and binds go through here so that
/// using several (a bind on each, a dial by health) changes this type alone.
/// </summary>
internal sealed class RouterLinks(OverlayIdentity identity, OverlayContextOptions options, ListenerRegistry listeners, ILogger logger) : IAsyncDisposable
{
    private readonly RouterDiscovery _discovery = new(identity);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private RouterLink? _primary;

    /// <summary>Whether some link holds a live session with its router.</summary>
    public bool IsConnected => Volatile.Read(ref _primary) is { IsConnected: true };

    /// <summary>Opens a routed stream to a binder of <paramref name="service"/>, through the link chosen for it.</summary>
    /// <exception cref="OverlayDialException">No router could be reached, or the router refused the dial.</exception>
    public async Task<(MuxStream Stream, RouterLink Via)> OpenDialAsync(string service, CancellationToken cancellationToken)
    {
        var link = await PrimaryAsync(service, cancellationToken).ConfigureAwait(false);
        return (await link.OpenDialAsync(service, cancellationToken).ConfigureAwait(false), link);
    }

    /// <summary>Registers <paramref name="listener"/>'s bind on the links a bind uses.</summary>
    /// <exception cref="OverlayDialException">No router could be reached, or the router refused the bind.</exception>
    public async Task BindAsync(OverlayListener listener, CancellationToken cancellationToken)
    {
        var link = await PrimaryAsync(listener.Service, cancellationToken).ConfigureAwait(false);
        await link.BindAsync(listener, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops every link reconnecting and delivering dials.</summary>
    public void Stop() => Volatile.Read(ref _primary)?.Stop();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _primary, null) is { } link)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    /// <summary>The link every dial and bind uses today, made on first use.</summary>
    private async Task<RouterLink> PrimaryAsync(string service, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _primary) is { } made)
        {
            return made;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _primary) is { } again)
            {
                return again;
            }

            string address;
            try
            {
                address = options.RouterAddress ?? (await _discovery.RoutersAsync(cancellationToken).ConfigureAwait(false))[0];
            }
            catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new OverlayDialException(service, OverlayDialFailure.RouterUnreachable, $"No overlay router could be learned from the controller at {identity.ControllerAddress}: {ex.Message}", ex);
            }

            var link = new RouterLink(address, identity, options, listeners, logger);
            Volatile.Write(ref _primary, link);
            return link;
        }
        finally
        {
            _gate.Release();
        }
    }
}
