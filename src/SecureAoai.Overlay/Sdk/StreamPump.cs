using System.Buffers;
using System.Net.Sockets;

namespace SecureAoai.Overlay;

/// <summary>Copies bytes between an overlay connection and a TCP connection, both ways, passing half-closes on.</summary>
internal static class StreamPump
{
    private const int BufferBytes = 16 * 1024;

    public static async Task RunAsync(OverlayStream overlay, Socket tcp, CancellationToken cancellationToken)
    {
        await using var network = new NetworkStream(tcp, ownsSocket: true);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toTcp = CopyAsync(overlay, network, () => { tcp.Shutdown(SocketShutdown.Send); return ValueTask.CompletedTask; }, linked.Token);
        var toOverlay = CopyAsync(network, overlay, overlay.CompleteWritesAsync, linked.Token);
        try
        {
            await Task.WhenAll(toTcp, toOverlay).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side failed: the other is torn down with it below.
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            await overlay.DisposeAsync().ConfigureAwait(false);
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
