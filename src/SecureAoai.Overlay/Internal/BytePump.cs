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
    /// <summary>The most bytes one copy moves by default: one sealed record's plaintext, so a forwarder feeding an overlay stream writes whole records.</summary>
    public const int BufferBytes = 16 * 1024;

    /// <summary>
    /// Pumps until both directions have ended. Does not dispose either end: the caller does, once
    /// this returns.
    /// </summary>
    /// <param name="left">One end.</param>
    /// <param name="right">The other end.</param>
    /// <param name="copied">Called with each chunk after it was written to the other end (the router counts and taps them); may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Aborts both ends when cancelled.</param>
    /// <param name="chunkBytes">The most bytes one copy moves (the buffer rented for it); <see cref="BufferBytes"/> by default.</param>
    /// <returns><see langword="true"/> when both directions ended cleanly; <see langword="false"/> when the pump aborted both ends.</returns>
    public static async Task<bool> RunAsync(PumpEnd left, PumpEnd right, Action<ReadOnlyMemory<byte>>? copied, CancellationToken cancellationToken, int chunkBytes = BufferBytes)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var leftToRight = CopyAsync(left, right, copied, chunkBytes, linked.Token);
        var rightToLeft = CopyAsync(right, left, copied, chunkBytes, linked.Token);
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

    /// <summary>
    /// Copies until the source ends. Waits for data with a zero-byte read and rents the copy buffer
    /// only once data is there, giving it back after each chunk: an idle direction (a relayed stream
    /// nobody writes on) holds no buffer. A source whose zero-byte read returns at once still works: the
    /// read that follows waits with the buffer, as before.
    /// </summary>
    private static async Task CopyAsync(PumpEnd source, PumpEnd destination, Action<ReadOnlyMemory<byte>>? copied, int chunkBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            await source.Stream.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(chunkBytes);
            try
            {
                int read = await source.Stream.ReadAsync(buffer.AsMemory(0, chunkBytes), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                await destination.Stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied?.Invoke(buffer.AsMemory(0, read));
            }
            finally
            {
                // The destination's write has returned or thrown: it holds no reference to the buffer.
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        await destination.CompleteWritesAsync().ConfigureAwait(false);
    }
}

/// <summary>One end of a <see cref="BytePump"/>: what to read from and write to, how to half-close it, and how to abort it.</summary>
/// <param name="Stream">The end's bytes.</param>
/// <param name="CompleteWritesAsync">Tells the end that no more bytes come (a half-close, a TCP FIN).</param>
/// <param name="Abort">Ends it at once both ways, so its party sees a failure rather than a clean end (an overlay Reset, a TCP reset). Called at most once per failure; must not throw.</param>
internal readonly record struct PumpEnd(Stream Stream, Func<ValueTask> CompleteWritesAsync, Action Abort);
