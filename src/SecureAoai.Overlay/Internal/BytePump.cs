using System.Buffers;
using System.Net.Sockets;

namespace SecureAoai.Overlay.Internal;

/// <summary>
/// The one byte pump of the overlay: the router's relay between a dialer and a binder, and the SDK's
/// forwarders between an overlay stream and a TCP connection (tunnel, service host). It copies both
/// ways. A direction that ends cleanly is passed on as a half-close and the other direction goes on;
/// the first failure of either direction (a reset, an error, a cancellation) aborts both ends, so
/// neither party mistakes a cut-off transfer for a complete one.
/// </summary>
internal static class BytePump
{
    /// <summary>The copy buffer of each direction, rented from the shared pool.</summary>
    public const int BufferBytes = 16 * 1024;

    /// <summary>
    /// Pumps until both directions have ended. Does not dispose either end: the caller does, once
    /// this returns.
    /// </summary>
    /// <param name="left">One end.</param>
    /// <param name="right">The other end.</param>
    /// <param name="copied">Called with each chunk after it was written to the other end (the router counts and taps them); may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Aborts both ends when cancelled.</param>
    /// <returns><see langword="true"/> when both directions ended cleanly; <see langword="false"/> when the pump aborted both ends.</returns>
    public static async Task<bool> RunAsync(PumpEnd left, PumpEnd right, Action<ReadOnlyMemory<byte>>? copied, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var leftToRight = CopyAsync(left, right, copied, linked.Token);
        var rightToLeft = CopyAsync(right, left, copied, linked.Token);
        try
        {
            // The first direction to fail ends both; one that ends cleanly waits for the other.
            var first = await Task.WhenAny(leftToRight, rightToLeft).ConfigureAwait(false);
            await first.ConfigureAwait(false);
            await (first == leftToRight ? rightToLeft : leftToRight).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            left.Abort();
            right.Abort();
            await linked.CancelAsync().ConfigureAwait(false);
            await EndedAsync(leftToRight).ConfigureAwait(false);
            await EndedAsync(rightToLeft).ConfigureAwait(false);
            return false;
        }
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException;

    private static async Task EndedAsync(Task copy)
    {
        try
        {
            await copy.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            // Its failure is the one being handled, or it was cut short because the other direction failed.
        }
    }

    private static async Task CopyAsync(PumpEnd source, PumpEnd destination, Action<ReadOnlyMemory<byte>>? copied, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            int read;
            while ((read = await source.Stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.Stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied?.Invoke(buffer.AsMemory(0, read));
            }

            await destination.CompleteWritesAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>One end of a <see cref="BytePump"/>: what to read from and write to, how to half-close it, and how to abort it.</summary>
/// <param name="Stream">The end's bytes.</param>
/// <param name="CompleteWritesAsync">Tells the end that no more bytes come (a half-close, a TCP FIN).</param>
/// <param name="Abort">Ends it at once both ways, so its party sees a failure rather than a clean end (an overlay Reset, a TCP reset). Called at most once per failure; must not throw.</param>
internal readonly record struct PumpEnd(Stream Stream, Func<ValueTask> CompleteWritesAsync, Action Abort);
