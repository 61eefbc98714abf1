using System.Net.Sockets;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay;

/// <summary>
/// Joins an overlay stream and a TCP connection for the tunnel and the service host, on the shared
/// <see cref="BytePump"/>. A clean end of one direction is a half-close on the other side (an overlay
/// Close, a TCP FIN); a failure of either side resets both: the overlay stream with
/// <see cref="OverlayStream.Abort"/>, the TCP connection with an RST, so neither end mistakes a
/// cut-off transfer for a complete one.
/// </summary>
internal static class StreamPump
{
    /// <summary>Pumps until both directions end, then closes both the overlay stream and the socket.</summary>
    public static async Task RunAsync(OverlayStream overlay, Socket tcp, CancellationToken cancellationToken)
    {
        var network = new NetworkStream(tcp, ownsSocket: true);
        try
        {
            await BytePump.RunAsync(
                new PumpEnd(overlay, overlay.CompleteWritesAsync, overlay.Abort),
                new PumpEnd(network, () => { tcp.Shutdown(SocketShutdown.Send); return ValueTask.CompletedTask; }, () => Reset(tcp)),
                copied: null,
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await overlay.DisposeAsync().ConfigureAwait(false);
            await network.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes with a TCP reset (linger zero) instead of a FIN, which a client would read as a complete
    /// reply. The socket itself is closed: disposing its NetworkStream would shut it down (a FIN) first.
    /// </summary>
    private static void Reset(Socket tcp)
    {
        try
        {
            tcp.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to reset.
        }

        tcp.Dispose();
    }
}
