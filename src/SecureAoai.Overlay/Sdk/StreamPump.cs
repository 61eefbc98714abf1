using System.Buffers;
using System.Net.Sockets;

namespace SecureAoai.Overlay;

/// <summary>
/// Copies bytes between an overlay connection and a TCP connection, both ways. A clean end of one
/// direction is passed on as a half-close; a failure of either side (a reset, an error, a shutdown)
/// aborts both: the overlay stream is reset and the TCP connection is reset, so neither end mistakes a
/// cut-off transfer for a complete one.
/// </summary>
internal static class StreamPump
{
    private const int BufferBytes = 16 * 1024;

    public static async Task RunAsync(OverlayStream overlay, Socket tcp, CancellationToken cancellationToken)
    {
        var network = new NetworkStream(tcp, ownsSocket: true);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toTcp = CopyAsync(overlay, network, () => { tcp.Shutdown(SocketShutdown.Send); return ValueTask.CompletedTask; }, linked.Token);
        var toOverlay = CopyAsync(network, overlay, overlay.CompleteWritesAsync, linked.Token);
        var failed = false;
        try
        {
            // The first direction to fail ends both; one that ends cleanly waits for the other.
            var first = await Task.WhenAny(toTcp, toOverlay).ConfigureAwait(false);
            await first.ConfigureAwait(false);
            await (first == toTcp ? toOverlay : toTcp).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            failed = true;
        }
        finally
        {
            if (failed)
            {
                overlay.Abort();
            }

            await linked.CancelAsync().ConfigureAwait(false);
            await EndedAsync(toTcp).ConfigureAwait(false);
            await EndedAsync(toOverlay).ConfigureAwait(false);
            await overlay.DisposeAsync().ConfigureAwait(false);
            if (failed)
            {
                Reset(tcp);
            }

            await network.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException;

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

    private static async Task EndedAsync(Task copy)
    {
        try
        {
            await copy.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            // Its failure was handled above, or it was cancelled because the other direction failed.
        }
    }

    private static async Task CopyAsync(Stream source, Stream destination, Func<ValueTask> complete, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            await complete().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
