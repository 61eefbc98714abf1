using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Internal;
using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// Joins a dial to a binder of its service and relays the two streams' bytes (ciphertext: the ends
/// seal them) on the shared <see cref="BytePump"/>, without reading them.
/// </summary>
internal sealed class DialJoiner(TerminatorTable terminators, OverlayRouterOptions options, ILogger logger)
{
    /// <summary>How many binders one dial asks before it is refused; each may take up to BinderOpenTimeout.</summary>
    public const int MaxTerminatorsTriedPerDial = 3;

    /// <summary>
    /// The most bytes the relay moves per copy: one pooled block, which holds a whole sealed record
    /// (16 KiB of plaintext and its 18 bytes of framing), so a record crosses the router as one Data
    /// frame each way rather than a full frame and an 18-byte one.
    /// </summary>
    internal const int RelayChunkBytes = BlockPool.BlockBytes;

    private long _forwardedBytes;

    /// <summary>Bytes relayed between dialers and binders, both directions.</summary>
    public long ForwardedBytes => Interlocked.Read(ref _forwardedBytes);

    /// <summary>Observes every byte relayed, for tests that prove the router only ever sees ciphertext.</summary>
    public Action<ReadOnlyMemory<byte>>? Tap { get; set; }

    /// <summary>
    /// Up to <see cref="MaxTerminatorsTriedPerDial"/> binders are asked in turn, each counted as loaded
    /// (ActiveDials) from the moment it is asked. A binder at its limit or slower than BinderOpenTimeout
    /// is busy, and the next is tried; none of this unbinds anyone. Every binder asked gets the same
    /// <paramref name="grant"/>, the dialer's dial grant, and learns who calls from it alone. A dial no
    /// binder took is refused with the code of why: busy, refused by the binders, or no terminator.
    /// </summary>
    public async Task RunAsync(MuxIncomingStream incoming, RouterRequest request, byte[] grant, CancellationToken cancellationToken)
    {
        var metadata = new RouterRequest { Op = RouterRequest.Dial, Service = request.Service, Grant = grant }.ToBytes();
        var tried = new List<Terminator>(MaxTerminatorsTriedPerDial);
        string? busy = null;
        string? refused = null;
        while (tried.Count < MaxTerminatorsTriedPerDial && !incoming.IsAbandoned)
        {
            var terminator = terminators.Choose(request.Service, tried);
            if (terminator is null)
            {
                break;
            }

            tried.Add(terminator);
            Interlocked.Increment(ref terminator.ActiveDials);
            try
            {
                MuxStream toBinder;
                try
                {
                    toBinder = await OpenToBinderAsync(terminator, metadata, cancellationToken).ConfigureAwait(false);
                }
                catch (MuxStreamRejectedException rejected) when (rejected.Code == ReasonCode.Busy)
                {
                    busy = rejected.Reason;
                    continue;
                }
                catch (MuxStreamRejectedException rejected)
                {
                    refused = rejected.Reason;
                    continue;
                }
                catch (IOException)
                {
                    // The binder's session ended; its own cleanup removes its terminators.
                    continue;
                }

                // The relay lasts as long as the stream: the grant and the binder's request (some KiB) are not kept for it.
                metadata = null!;
                grant = null!;
                await RelayAsync(incoming, toBinder).ConfigureAwait(false);
                return;
            }
            finally
            {
                Interlocked.Decrement(ref terminator.ActiveDials);
            }
        }

        if (incoming.IsAbandoned)
        {
            return;
        }

        if (busy is not null)
        {
            await incoming.RejectAsync(ReasonCode.Busy, $"busy: no binder of service '{request.Service}' could take the dial now ({busy})").ConfigureAwait(false);
        }
        else if (refused is not null)
        {
            await incoming.RejectAsync(ReasonCode.Refused, $"refused by the binder: {refused}").ConfigureAwait(false);
        }
        else
        {
            await incoming.RejectAsync(ReasonCode.NoTerminator, $"no terminator: service '{request.Service}' has no live binder").ConfigureAwait(false);
        }
    }

    /// <summary>Opens the stream to a binder, waiting at most BinderOpenTimeout for its answer.</summary>
    /// <exception cref="MuxStreamRejectedException">The binder refused, is at its stream limit, or did not answer in time (code Busy).</exception>
    /// <exception cref="IOException">The binder's session ended.</exception>
    private async Task<MuxStream> OpenToBinderAsync(Terminator terminator, byte[] metadata, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.BinderOpenTimeout);
        try
        {
            return await terminator.Owner.Mux.OpenStreamAsync(metadata, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // OpenStreamAsync reset the open, so the binder's slot is freed when the reset reaches it.
            RouterLog.BinderSlow(logger, terminator.Owner.Caller.Name, terminator.Service, options.BinderOpenTimeout.TotalSeconds);
            throw new MuxStreamRejectedException($"a binder did not answer within {options.BinderOpenTimeout.TotalSeconds:0.###} s (BinderOpenTimeout)", ReasonCode.Busy);
        }
    }

    /// <summary>Accepts the dialer's stream and relays both ways; whatever fails, the binder's stream is released with it.</summary>
    private async Task RelayAsync(MuxIncomingStream incoming, MuxStream toBinder)
    {
        MuxStream fromDialer;
        try
        {
            fromDialer = await incoming.AcceptAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // The dialer gave up while the binder answered: the binder must not keep a stream nobody will use.
            toBinder.Abort("the dialer went away");
            return;
        }

        try
        {
            await BytePump.RunAsync(End(fromDialer), End(toBinder), Relayed, CancellationToken.None, RelayChunkBytes).ConfigureAwait(false);
        }
        finally
        {
            await fromDialer.DisposeAsync().ConfigureAwait(false);
            await toBinder.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static PumpEnd End(MuxStream stream) =>
        new(stream, stream.CompleteWritesAsync, () => stream.Abort("the other end of the stream failed"));

    private void Relayed(ReadOnlyMemory<byte> chunk)
    {
        Tap?.Invoke(chunk);
        Interlocked.Add(ref _forwardedBytes, chunk.Length);
    }
}
