using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace SecureAoai.Overlay.Internal;

/// <summary>
/// The accept loop every listener of the overlay runs (router, controller, tunnel). It ends only when
/// cancelled or when its listener is closed. Any other failure (a connection reset while it waited in
/// the backlog, the process out of file descriptors) is logged and the loop keeps accepting after a
/// pause that doubles from <see cref="MinRetryDelay"/> up to <see cref="MaxRetryDelay"/>, so a
/// lasting failure neither ends the service nor spins a core. As Kestrel's socket transport does,
/// one bad accept never stops a listener.
/// </summary>
internal static partial class AcceptLoop
{
    /// <summary>The pause after a first failed accept.</summary>
    public static readonly TimeSpan MinRetryDelay = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest pause between failed accepts.</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Accepts from <paramref name="listener"/> until cancelled or the listener stops.</summary>
    public static Task RunAsync(TcpListener listener, Action<Socket> accepted, string name, ILogger logger, TimeProvider time, CancellationToken cancellationToken) =>
        RunAsync(listener.AcceptSocketAsync, accepted, name, logger, time, cancellationToken);

    /// <summary>
    /// Calls <paramref name="accept"/> in a loop and hands each socket to <paramref name="accepted"/>,
    /// which must not block (it starts the connection's own task). A socket <paramref name="accepted"/>
    /// throws for is closed, and the loop goes on.
    /// </summary>
    public static async Task RunAsync(
        Func<CancellationToken, ValueTask<Socket>> accept, Action<Socket> accepted, string name, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await accept(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStop(ex, cancellationToken))
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                delay = NextDelay(delay);
                AcceptFailed(logger, name, delay.TotalMilliseconds, ex);
                try
                {
                    await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            delay = TimeSpan.Zero;
            try
            {
                accepted(socket);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Such as a socket reset before its options could be set: that connection alone is lost.
                socket.Dispose();
                ConnectionDropped(logger, name, ex.Message);
            }
        }
    }

    /// <summary>The pause after another failed accept: <see cref="MinRetryDelay"/>, then double the last one, at most <see cref="MaxRetryDelay"/>.</summary>
    internal static TimeSpan NextDelay(TimeSpan last) =>
        last < MinRetryDelay ? MinRetryDelay : TimeSpan.FromTicks(Math.Min(last.Ticks * 2, MaxRetryDelay.Ticks));

    /// <summary>Cancellation, or the listener closed under a pending accept (what Kestrel too treats as unbound).</summary>
    private static bool IsStop(Exception exception, CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
        || exception is ObjectDisposedException
        || exception is SocketException { SocketErrorCode: SocketError.OperationAborted };

    [LoggerMessage(301, LogLevel.Warning, "The {Listener} could not accept a connection; accepting again in {DelayMs} ms.")]
    private static partial void AcceptFailed(ILogger logger, string listener, double delayMs, Exception exception);

    [LoggerMessage(302, LogLevel.Debug, "The {Listener} dropped a connection it had just accepted: {Reason}")]
    private static partial void ConnectionDropped(ILogger logger, string listener, string reason);
}
